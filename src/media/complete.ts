import { readBmpHeader, type ImageFormat } from "./format.ts";

/**
 * Structural end-of-file checks. Decoders (libjpeg, libpng in skia) fill truncated images with grey and report
 * success, so a cut-off upload would pass a decode alone. Returns a reason when the file is visibly incomplete.
 * (A PNG is checked whole, truncation included, by png-check.ts.)
 */
export function truncationProblem(bytes: Uint8Array, format: Exclude<ImageFormat, "png">): string | null {
  switch (format) {
    case "jpeg":
      return jpegEnds(bytes) ? null : "JPEG is truncated (no end-of-image marker after the last scan)";
    case "webp":
      return webpComplete(bytes) ? null : "WebP is truncated (shorter than its RIFF header says)";
    case "tiff":
      return null; // strips are located by offset and count; utif2 fails on data outside the file
    case "bmp":
      return bmpProblem(bytes);
    case "gif":
      return gifProblem(bytes);
  }
}

/**
 * A BMP's headers say where its pixels start and, uncompressed, how many bytes they take (rows padded to 4 bytes);
 * compressed (RLE, embedded JPEG/PNG), the info header's image size. A file shorter than that is cut off: decoders
 * would fill the missing rows.
 */
function bmpProblem(b: Uint8Array): string | null {
  const h = readBmpHeader(b);
  if (!h) return "BMP is truncated (shorter than its headers)";
  if (!(h.width > 0) || h.height === 0) return "BMP has no pixels";
  if (![1, 2, 4, 8, 16, 24, 32, 64].includes(h.bitsPerPixel)) return `BMP has an unsupported depth of ${h.bitsPerPixel} bits per pixel`;
  if (h.pixelsAt < 14 + h.infoSize || h.pixelsAt >= b.length) return "BMP is truncated (no pixel data)";
  const uncompressed = h.compression === 0 || h.compression === 3 || h.compression === 6; // RGB, BITFIELDS, ALPHABITFIELDS
  const needed = uncompressed ? Math.ceil((h.width * h.bitsPerPixel) / 32) * 4 * Math.abs(h.height) : h.imageSize;
  if (b.length < h.pixelsAt + needed) return "BMP is truncated (its pixel data ends before the image does)";
  return null;
}

/**
 * Walk a GIF's blocks (header, colour tables, extensions, images with their data sub-blocks) to the trailer: a file
 * that ends before it is cut off; decoders show the frames that arrived.
 */
function gifProblem(b: Uint8Array): string | null {
  const truncated = "GIF is truncated (no trailer after the last block)";
  const colourTable = (flags: number) => (flags & 0x80 ? 3 * (1 << ((flags & 7) + 1)) : 0);
  /** Skips data sub-blocks (a length byte, then that many bytes) up to the empty one; -1 when the file ends first. */
  const skipSubBlocks = (at: number) => {
    while (at < b.length) {
      const n = b[at]!;
      at += 1 + n;
      if (n === 0) return at;
    }
    return -1;
  };
  if (b.length < 13) return truncated;
  let at = 13 + colourTable(b[10]!);
  let images = 0;
  while (at < b.length) {
    const block = b[at]!;
    if (block === 0x3b) return images > 0 ? null : "GIF has no image";
    if (block === 0x21)
      at = skipSubBlocks(at + 2); // extension: introducer, label, sub-blocks
    else if (block === 0x2c) {
      if (at + 11 > b.length) return truncated; // image descriptor (10 bytes), then the LZW minimum code size
      at = skipSubBlocks(at + 10 + colourTable(b[at + 9]!) + 1);
      images++;
    } else return `GIF has an unknown block 0x${block.toString(16).padStart(2, "0")} at byte ${at}`;
    if (at < 0) return truncated;
  }
  return truncated;
}

const SOS = Buffer.from([0xff, 0xda]);

function jpegEnds(bytes: Uint8Array): boolean {
  // FF DA (start of scan) and FF D9 (end of image) cannot occur inside entropy-coded data (FF is stuffed with 00),
  // so the file is complete when its last EOI comes after its last SOS. The last EOI is found by a backward scan
  // (it is normally the last two bytes); Buffer.lastIndexOf costs ~0.8 ms per 440 KB page in Bun, as it walks the
  // whole buffer. The forward searches are native and start near the end or find a match early.
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eoi = -1;
  for (let i = b.length - 2; i >= 2; i--) {
    if (b[i] === 0xff && b[i + 1] === 0xd9) {
      eoi = i;
      break;
    }
  }
  if (eoi < 0) return false;
  const firstSos = b.indexOf(SOS);
  return firstSos >= 2 && firstSos < eoi && b.indexOf(SOS, eoi + 2) < 0;
}

function webpComplete(b: Uint8Array): boolean {
  if (b.length < 12) return false;
  const riffSize = (b[4]! | (b[5]! << 8) | (b[6]! << 16) | (b[7]! << 24)) >>> 0;
  return b.length >= riffSize + 8;
}
