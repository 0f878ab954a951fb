import type { ImageFormat } from "./format.ts";

/**
 * Structural end-of-file checks. Decoders (libjpeg, libpng in skia) fill truncated images with grey and report
 * success, so a cut-off upload would pass a decode alone. Returns a reason when the file is visibly incomplete.
 */
export function truncationProblem(bytes: Uint8Array, format: ImageFormat): string | null {
  switch (format) {
    case "jpeg":
      return jpegEnds(bytes) ? null : "JPEG is truncated (no end-of-image marker after the last scan)";
    case "png":
      return pngEnds(bytes) ? null : "PNG is truncated (no IEND chunk)";
    case "webp":
      return webpComplete(bytes) ? null : "WebP is truncated (shorter than its RIFF header says)";
    case "tiff":
      return null; // strips are located by offset and count; utif2 fails on data outside the file
  }
}

function jpegEnds(b: Uint8Array): boolean {
  // FF DA (start of scan) and FF D9 (end of image) cannot occur inside entropy-coded data (FF is stuffed with 00).
  let lastSos = -1;
  for (let i = b.length - 2; i >= 2; i--) {
    if (b[i] === 0xff && b[i + 1] === 0xda) {
      lastSos = i;
      break;
    }
  }
  if (lastSos < 0) return false;
  for (let i = lastSos + 2; i < b.length - 1; i++) if (b[i] === 0xff && b[i + 1] === 0xd9) return true;
  return false;
}

function pngEnds(b: Uint8Array): boolean {
  // IEND chunk: length 0, type "IEND", CRC AE 42 60 82; allow trailing bytes after it.
  const from = Math.max(8, b.length - 4096);
  for (let i = b.length - 8; i >= from; i--) {
    if (b[i] === 0x49 && b[i + 1] === 0x45 && b[i + 2] === 0x4e && b[i + 3] === 0x44) return true;
  }
  return false;
}

function webpComplete(b: Uint8Array): boolean {
  if (b.length < 12) return false;
  const riffSize = (b[4]! | (b[5]! << 8) | (b[6]! << 16) | (b[7]! << 24)) >>> 0;
  return b.length >= riffSize + 8;
}
