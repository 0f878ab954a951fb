/**
 * Hostile building blocks for the fuzz suite: strings (NUL, lone surrogates, control and bidi characters, path
 * traversal, overlong), extreme numbers, JSON texts no serializer writes (1e400, 30-digit integers, deep nesting),
 * and the percent-encoding of any UTF-16 string (lone surrogates included, which encodeURIComponent refuses).
 */
import fc from "fast-check";

/** A JSON value serialized by {@link jsonText} as the raw text it carries (for literals JSON.stringify never writes). */
const RAW = "\u0001RAW\u0001";
const rawJson = (text: string): string => `${RAW}${text}${RAW}`;

/** JSON.stringify, except that values made by {@link rawJson} are spliced in as raw text. */
export function jsonText(value: unknown): string {
  const s = JSON.stringify(value) ?? "null";
  return s.includes("\\u0001RAW\\u0001")
    ? s.replace(/"\\u0001RAW\\u0001(.*?)\\u0001RAW\\u0001"/g, (_, t: string) => JSON.parse(`"${t}"`))
    : s;
}

/** One UTF-16 code unit, any of them: lone surrogates and NUL included. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const controlOrOdd = fc.constantFrom(
  "\u0000",
  "\u0001",
  "\u001f",
  "\u007f",
  "\u0085",
  "\u00a0",
  "\u2028",
  "\u202e",
  "\ufeff",
  "\uffff",
  "\ud800",
  "\udfff",
  "\r\n",
  "\t",
);

const hostileStringCore: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "",
    " ",
    "\u0000",
    "a\u0000b",
    "\ud800",
    "\udfff",
    "x\ud83d",
    "\ude00y",
    "\ud83d\ude00",
    "../../etc/passwd",
    "..",
    ".",
    "..\\..\\windows\\win.ini",
    "%2e%2e%2f",
    "%00",
    "/",
    "\\",
    "a/b",
    "a\\b",
    "./a",
    "~/.ssh/id_rsa",
    "/etc/passwd",
    "C:\\Windows",
    "\u202egnp.exe",
    "e\u0301",
    "\ufeff",
    "null",
    "true",
    "0",
    "-1",
    "1e309",
    "NaN",
    "Infinity",
    "[]",
    "{}",
    "' OR 1=1 --",
    "'; DROP TABLE jobs; --",
    "<script>alert(1)</script>",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, sent as it is
    "${7*7}",
    "{{7*7}}",
    "%s%n",
    "\r\n",
    "\u2028",
    "İ",
    "ß",
    "ﬃ",
    "ǅ",
    "𝔘𝔫𝔦",
    "中文名.png",
    "اسم.png",
    "CON",
    "NUL.png",
    "a".repeat(255),
    "a".repeat(256),
    "é".repeat(300),
  ),
  fc.string({ unit: "binary", maxLength: 24 }),
  fc.string({ unit: codeUnit, maxLength: 24 }),
  fc.tuple(fc.string({ maxLength: 8 }), controlOrOdd, fc.string({ maxLength: 8 })).map(([a, b, c]) => a + b + c),
  fc.integer({ min: 0, max: 400 }).map((n) => "x".repeat(n)),
);

/** Mostly the strings above, now and then one long enough to pass header and URL limits. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 30, arbitrary: hostileStringCore },
  { weight: 1, arbitrary: fc.constantFrom(5000, 20_000, 70_000).map((n) => "x".repeat(n)) },
);

export const extremeNumber: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    1,
    -1,
    0.5,
    1.5,
    -1.5,
    2 ** 31 - 1,
    2 ** 31,
    -(2 ** 31) - 1,
    2 ** 32,
    2 ** 53,
    -(2 ** 53),
    2 ** 63,
    2 ** 64,
    1e308,
    -1e308,
    5e-324,
    1e-7,
    100,
    101,
  ),
  fc
    .constantFrom(
      "1e400",
      "-1e400",
      "123456789012345678901234567890",
      "-123456789012345678901234567890",
      "1.0",
      "-0.0",
      "1E2",
      "0.1e1",
      "9".repeat(400),
    )
    .map(rawJson),
  fc.double(),
  fc.integer(),
);

/** Deeply nested JSON text (arrays or objects), as a raw JSON value. */
export const deepJsonText: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(64, 200, 1000, 5000, 20_000, 100_000), fc.boolean())
  .map(([n, arr]) => (arr ? "[".repeat(n) + "]".repeat(n) : `${'{"a":'.repeat(n)}1${"}".repeat(n)}`));

/** Any JSON value with hostile leaves, deep nesting, odd keys (as JSON-able values; raw parts via rawJson). */
export const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  extremeNumber,
  fc.constantFrom(null, true, false, [], {}, [null], rawJson('{"__proto__":{"x":1}}'), rawJson('{"constructor":{"prototype":{"x":1}}}')),
  deepJsonText.map(rawJson),
  fc.jsonValue({ maxDepth: 3 }),
  fc.dictionary(hostileString, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 4 }),
);

/** Percent-encodes every UTF-16 code unit: UTF-8 for valid text, the 3-byte (CESU) form for lone surrogates. */
export function percentEncode(s: string, keep = /[A-Za-z0-9\-_.~]/): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i]!;
    if (c < 0x80 && keep.test(ch)) {
      out += ch;
      continue;
    }
    let bytes: number[];
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes = [...Buffer.from(s.slice(i, i + 2), "utf8")];
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      bytes = [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)];
    } else {
      bytes = [...Buffer.from(ch, "utf8")];
    }
    out += bytes.map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join("");
  }
  return out;
}

/** A header value a fetch client can send (bytes 0x20–0xFF, no CR/LF/NUL); other characters go through raw requests. */
export const headerSafe = (s: string): string => s.replace(/[^\x20-\x7e\x80-\xff\t]/g, "?");
