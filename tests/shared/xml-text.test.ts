/**
 * XML bytes → text in the declared encoding (src/shared/xml-text.ts), checked against Python's ElementTree (the
 * reference's parser) run here on the same bytes: the root's text must come out the same.
 */
import { expect, test } from "bun:test";
import { decodeXml, XmlEncodingError } from "../../src/shared/xml-text.ts";

const TEXT = "Žluťoučký kůň — Grüße";
const enc = (s: string, encoding: string): Uint8Array => {
  if (encoding === "utf-16le") return new Uint8Array(Buffer.from(s, "utf16le"));
  if (encoding === "utf-16be") return new Uint8Array(Buffer.from(s, "utf16le").swap16());
  if (encoding === "windows-1250") {
    // the few non-ASCII letters of TEXT in windows-1250 (and a dash outside it is left out of that sample)
    const map: Record<string, number> = { Ž: 0x8e, ť: 0x9d, č: 0xe8, ý: 0xfd, ů: 0xf9, ň: 0xf2, ü: 0xfc, ß: 0xdf };
    return new Uint8Array([...s].map((ch) => map[ch] ?? ch.charCodeAt(0)));
  }
  return new Uint8Array(Buffer.from(s, "utf8"));
};
const cases: [string, Uint8Array][] = [
  ["utf-8, no declaration", enc(`<alto>${TEXT}</alto>`, "utf-8")],
  ["utf-8 with BOM", new Uint8Array([0xef, 0xbb, 0xbf, ...enc(`<?xml version="1.0"?><alto>${TEXT}</alto>`, "utf-8")])],
  ["utf-16le with BOM", new Uint8Array([0xff, 0xfe, ...enc(`<?xml version="1.0" encoding="UTF-16"?><alto>${TEXT}</alto>`, "utf-16le")])],
  ["utf-16be with BOM", new Uint8Array([0xfe, 0xff, ...enc(`<?xml version="1.0" encoding="UTF-16"?><alto>${TEXT}</alto>`, "utf-16be")])],
  ["windows-1250 declared", enc(`<?xml version='1.0' encoding='windows-1250'?><alto>${TEXT.replace(" — ", " ")}</alto>`, "windows-1250")],
];

test("the root text decoded from UTF-8 (±BOM), UTF-16 LE/BE and a declared windows-1250 equals Python ElementTree's", () => {
  const script =
    "import sys, json, base64, xml.etree.ElementTree as ET\nprint(json.dumps([ET.fromstring(base64.b64decode(b)).text for b in json.loads(sys.stdin.read())]))";
  const py = Bun.spawnSync(["python3", "-c", script], {
    stdin: Buffer.from(JSON.stringify(cases.map(([, b]) => Buffer.from(b).toString("base64")))),
    stderr: "pipe",
  });
  expect(py.stderr.toString()).toBe("");
  const expected: string[] = JSON.parse(py.stdout.toString());
  const ours = cases.map(([, b]) => /<alto>([^<]*)<\/alto>/.exec(decodeXml(b))?.[1]);
  expect(ours).toEqual(expected);
  expect(expected[2]).toBe(TEXT);
});

test("an encoding no decoder knows is an XmlEncodingError naming it", () => {
  expect(() => decodeXml(enc(`<?xml version="1.0" encoding="x-nonesuch"?><alto/>`, "utf-8"))).toThrow(XmlEncodingError);
  expect(() => decodeXml(enc(`<?xml version="1.0" encoding="x-nonesuch"?><alto/>`, "utf-8"))).toThrow("x-nonesuch");
});
