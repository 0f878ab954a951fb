/**
 * The text of an XML document from its bytes, in the encoding the document declares — as an XML parser
 * reading bytes does (Python's ElementTree, which the reference uses): a byte-order mark (UTF-8, UTF-16 LE/BE),
 * else UTF-16 recognised from `<?` without a mark, else the `encoding` of the XML declaration, else UTF-8.
 * Throws XmlEncodingError for an encoding label no decoder knows.
 */
export class XmlEncodingError extends Error {
  constructor(label: string) {
    super(`unsupported XML encoding '${label}'`);
    this.name = "XmlEncodingError";
  }
}

const DECLARED = /^<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]*)["']/;

export function decodeXml(bytes: Uint8Array): string {
  const [a, b, c] = [bytes[0], bytes[1], bytes[2]];
  if (a === 0xef && b === 0xbb && c === 0xbf) return new TextDecoder("utf-8").decode(bytes.subarray(3));
  if (a === 0xff && b === 0xfe) return new TextDecoder("utf-16le").decode(bytes.subarray(2));
  if (a === 0xfe && b === 0xff) return new TextDecoder("utf-16be").decode(bytes.subarray(2));
  if (a === 0x3c && b === 0x00 && c === 0x3f) return new TextDecoder("utf-16le").decode(bytes);
  if (a === 0x00 && b === 0x3c && bytes[3] === 0x3f) return new TextDecoder("utf-16be").decode(bytes);
  // The declaration is ASCII in every ASCII-compatible encoding.
  const head = new TextDecoder("latin1").decode(bytes.subarray(0, 200));
  const label = DECLARED.exec(head)?.[1];
  if (!label || /^utf-?8$/i.test(label)) return new TextDecoder("utf-8").decode(bytes);
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(/^utf-?16$/i.test(label) ? "utf-16le" : label);
  } catch {
    throw new XmlEncodingError(label);
  }
  return decoder.decode(bytes);
}
