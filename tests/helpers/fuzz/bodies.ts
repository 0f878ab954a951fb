/**
 * Request bodies for the fuzz suite: JSON bodies from a route's schema (valid, hostile, truncated, under the wrong
 * content type, deeply nested, invalid UTF-8), multipart bodies for the upload routes (good, truncated, without
 * or with the wrong boundary, a text field named `file`, two files, traversal and NUL in file names) carrying real
 * files and damaged ones (bit flips, cuts, an XML entity bomb).
 */
import fc from "fast-check";
import { ALTO, PAGE, SUITE_VALID_ZIP, bmpBytes, gifBytes, jpegBytes, pngBytes, zipBytes } from "../files.ts";
import { deepJsonText, headerSafe, hostileString, jsonText } from "./hostile.ts";
import { valueArb, type Hints, type JsonSchema } from "./schema-arb.ts";

export interface Body {
  contentType?: string;
  bytes: Uint8Array;
}

const enc = new TextEncoder();
const cat = (...parts: (Uint8Array | string)[]) => Buffer.concat(parts.map((p) => (typeof p === "string" ? enc.encode(p) : p)));

const XML_BOMB = `<?xml version="1.0"?><!DOCTYPE alto [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"><!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">]><alto xmlns="http://www.loc.gov/standards/alto/ns-v4#"><Layout><Page ID="p">&h;</Page></Layout></alto>`;
const XXE = `<?xml version="1.0"?><!DOCTYPE alto [<!ENTITY x SYSTEM "file:///etc/passwd">]><alto xmlns="http://www.loc.gov/standards/alto/ns-v4#"><Layout><Page ID="p">&x;</Page></Layout></alto>`;

/** Real files of every kind the server accepts, and some it must refuse. */
export function filePool(): Uint8Array[] {
  return [
    pngBytes(),
    jpegBytes(),
    gifBytes(),
    bmpBytes(),
    pngBytes(3000, 2),
    enc.encode(ALTO),
    enc.encode(PAGE),
    zipBytes(),
    SUITE_VALID_ZIP,
    enc.encode(XML_BOMB),
    enc.encode(XXE),
    enc.encode("<alto>"),
    enc.encode(`\uFEFF${ALTO}`),
    Buffer.from(ALTO, "utf16le"),
    new Uint8Array(0),
    enc.encode("{}"),
    enc.encode("PK\u0003\u0004"),
    new Uint8Array(70_000).fill(0x41),
  ];
}

/** A file from the pool, sometimes damaged: bytes flipped, cut short, or random bytes. */
export function fileArb(pool: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const base = fc.constantFrom(...pool);
  return fc.oneof(
    { weight: 4, arbitrary: base },
    {
      weight: 2,
      arbitrary: fc
        .tuple(base, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }))
        .map(([b, flips]) => {
          const c = new Uint8Array(b);
          for (const [i, v] of flips) if (c.length > 0) c[i % c.length] = v;
          return c;
        }),
    },
    { weight: 2, arbitrary: fc.tuple(base, fc.nat()).map(([b, n]) => b.slice(0, b.length === 0 ? 0 : n % b.length)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2000 }) },
  );
}

const fileName = fc.oneof(
  fc.constantFrom("a.png", "page.xml", "r.zip", "x"),
  hostileString,
  fc.constantFrom("../../../../tmp/evil", "..%2f..%2fevil", "a\u0000.png", "/etc/passwd", "C:\\evil.png", ".staging", "\ud800.png"),
);

const quoted = (s: string) => s.replace(/[\\"]/g, (c) => `\\${c}`);

function part(name: string, filename: string | undefined, contentType: string | undefined, data: Uint8Array): Uint8Array {
  const disp = `form-data; name="${quoted(name)}"${filename === undefined ? "" : `; filename="${quoted(filename)}"`}`;
  return cat(`Content-Disposition: ${disp}\r\n`, contentType ? `Content-Type: ${contentType}\r\n` : "", "\r\n", data);
}

function multipart(boundary: string, parts: Uint8Array[], close = true): Uint8Array {
  return cat(...parts.flatMap((p) => [`--${boundary}\r\n`, p, "\r\n"]), close ? `--${boundary}--\r\n` : "");
}

const VARIANTS = [
  "good",
  "good",
  "good",
  "good",
  "truncated",
  "noBoundaryParam",
  "wrongBoundary",
  "noClose",
  "textField",
  "twoFiles",
  "otherField",
  "badHeaders",
  "empty",
  "quotedBoundary",
] as const;

export function multipartArb(pool: Uint8Array[]): fc.Arbitrary<Body> {
  return fc
    .record({
      variant: fc.constantFrom(...VARIANTS),
      boundary: fc.oneof(
        { weight: 5, arbitrary: fc.constant("fuzzBoundary7MA4YWxkTrZu0gW") },
        { weight: 1, arbitrary: fc.constantFrom("x", "-", "a".repeat(70), "a".repeat(200), "b\u00e9", "with space") },
      ),
      name: fc.oneof(
        { weight: 8, arbitrary: fc.constant("file") },
        { weight: 1, arbitrary: fc.constantFrom("File", "files", "file[]", "") },
      ),
      filename: fc.option(fileName, { nil: undefined, freq: 8 }),
      partType: fc.option(fc.constantFrom("image/png", "application/octet-stream", "text/xml", "application/zip", "x/\u00ff"), {
        nil: undefined,
      }),
      data: fileArb(pool),
      cut: fc.nat(),
    })
    .map(({ variant, boundary, name, filename, partType, data, cut }): Body => {
      const ct = `multipart/form-data; boundary=${boundary}`;
      const file = part(name, filename ?? "file", partType, data);
      switch (variant) {
        case "truncated": {
          const whole = multipart(boundary, [file]);
          return { contentType: ct, bytes: whole.slice(0, cut % Math.max(1, whole.length)) };
        }
        case "noBoundaryParam":
          return { contentType: "multipart/form-data", bytes: multipart(boundary, [file]) };
        case "wrongBoundary":
          return { contentType: "multipart/form-data; boundary=other", bytes: multipart(boundary, [file]) };
        case "noClose":
          return { contentType: ct, bytes: multipart(boundary, [file], false) };
        case "textField":
          return { contentType: ct, bytes: multipart(boundary, [part("file", undefined, undefined, data.slice(0, 200))]) };
        case "twoFiles":
          return { contentType: ct, bytes: multipart(boundary, [file, part("file", "second.png", undefined, pngBytes())]) };
        case "otherField":
          return { contentType: ct, bytes: multipart(boundary, [part("other", "o.bin", undefined, data), file]) };
        case "badHeaders":
          return {
            contentType: ct,
            bytes: multipart(boundary, [cat("Content-Disposition: form-data; name=file; filename=\u00ff\u0000\r\nX: \r\n", "\r\n", data)]),
          };
        case "empty":
          return { contentType: ct, bytes: new Uint8Array(0) };
        case "quotedBoundary":
          return { contentType: `multipart/form-data; boundary="${boundary}"; charset=utf-8`, bytes: multipart(boundary, [file]) };
        default:
          return { contentType: ct, bytes: multipart(boundary, [file]) };
      }
    });
}

const WRONG_JSON_TYPES = [
  undefined,
  "text/plain",
  "application/x-www-form-urlencoded",
  "application/json; charset=utf-16",
  "application/vnd.api+json",
  "multipart/form-data; boundary=x",
  "application/xml",
  "APPLICATION/JSON",
  "application/json\u00ff",
  "",
];

/** A JSON route's body: the schema's values (and hostile ones) as JSON, and everything a JSON parser should refuse. */
export function jsonBodyArb(schema: JsonSchema, hints: Hints, pool: Uint8Array[]): fc.Arbitrary<Body> {
  const text = valueArb(schema, hints).map(jsonText);
  return fc.oneof(
    { weight: 12, arbitrary: text.map((t) => ({ contentType: "application/json", bytes: enc.encode(t) })) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(text, fc.constantFrom(...WRONG_JSON_TYPES))
        .map(([t, ct]) => ({ contentType: ct === undefined ? undefined : headerSafe(ct), bytes: enc.encode(t) })),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(text, fc.nat())
        .map(([t, n]) => ({ contentType: "application/json", bytes: enc.encode(t.slice(0, n % Math.max(1, t.length))) })),
    },
    { weight: 1, arbitrary: deepJsonText.map((t) => ({ contentType: "application/json", bytes: enc.encode(t) })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => ({ contentType: "application/json", bytes: b })) },
    {
      // Lone surrogates and NUL as raw bytes inside a JSON string (CESU-8 / overlong forms are invalid UTF-8).
      weight: 1,
      arbitrary: fc
        .constantFrom([0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0x00], [0xc0, 0x80], [0xff, 0xfe], [0xf4, 0x90, 0x80, 0x80])
        .map((bad) => ({
          contentType: "application/json",
          bytes: cat(
            '{"images":[{"name":"a',
            new Uint8Array(bad),
            '.png","order":0}],"label":"l',
            new Uint8Array(bad),
            '","role":"user","name":"n","version":"v","description":"d"}',
          ),
        })),
    },
    { weight: 1, arbitrary: fc.constant({ contentType: "application/json", bytes: new Uint8Array(0) }) },
    { weight: 1, arbitrary: multipartArb(pool) },
  );
}

/** A body for a route that takes none (sometimes sent anyway). */
export function strayBodyArb(pool: Uint8Array[]): fc.Arbitrary<Body | undefined> {
  return fc.oneof(
    { weight: 10, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constant({ contentType: "application/json", bytes: enc.encode('{"state":"cancelled"}') }) },
    { weight: 1, arbitrary: multipartArb(pool) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 100 }).map((bytes) => ({ bytes })) },
  );
}
