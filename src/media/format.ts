/** Image container formats the page processor and the upload check accept, recognised by magic bytes. */
export type ImageFormat = "jpeg" | "png" | "tiff" | "webp" | "bmp" | "gif";

export interface ImageFormatInfo {
  format: ImageFormat;
  /** Canonical file extension without the dot. */
  extension: string;
  /** All extensions commonly used for the format (lower case, no dot). */
  extensions: readonly string[];
  contentType: string;
}

const INFO: Record<ImageFormat, ImageFormatInfo> = {
  jpeg: { format: "jpeg", extension: "jpg", extensions: ["jpg", "jpeg", "jpe", "jfif"], contentType: "image/jpeg" },
  png: { format: "png", extension: "png", extensions: ["png"], contentType: "image/png" },
  tiff: { format: "tiff", extension: "tif", extensions: ["tif", "tiff"], contentType: "image/tiff" },
  webp: { format: "webp", extension: "webp", extensions: ["webp"], contentType: "image/webp" },
  bmp: { format: "bmp", extension: "bmp", extensions: ["bmp", "dib"], contentType: "image/bmp" },
  gif: { format: "gif", extension: "gif", extensions: ["gif"], contentType: "image/gif" },
};

/** The formats by name, for messages: "JPEG, PNG, TIFF, WebP, BMP or GIF". */
export const FORMAT_NAMES = "JPEG, PNG, TIFF, WebP, BMP or GIF";

/** Sizes of the BMP info headers (BITMAPCOREHEADER 12, OS/2 2.x 16/64, BITMAPINFOHEADER 40, V2 52, V3 56, V4 108, V5 124). */
const BMP_INFO_HEADER_SIZES = new Set([12, 16, 40, 52, 56, 64, 108, 124]);

export function formatInfo(format: ImageFormat): ImageFormatInfo {
  return INFO[format];
}

/** Format for a file extension (with or without the dot, any case), or null when it is not an image we read. */
export function formatFromExtension(nameOrExt: string): ImageFormat | null {
  const dot = nameOrExt.lastIndexOf(".");
  const ext = (dot >= 0 ? nameOrExt.slice(dot + 1) : nameOrExt).toLowerCase();
  for (const info of Object.values(INFO)) if (info.extensions.includes(ext)) return info.format;
  return null;
}

/**
 * Recognise the container format by its magic bytes; null when it is none of JPEG, PNG, TIFF, WebP, BMP, GIF.
 * Needs at most the first 18 bytes (a BMP's "BM" is confirmed by a known info-header size, so text starting with "BM"
 * is not taken for one).
 */
export function sniffImageFormat(bytes: Uint8Array): ImageFormatInfo | null {
  const b = bytes;
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return INFO.jpeg;
  if (
    b.length >= 8 &&
    b[0] === 0x89 &&
    b[1] === 0x50 &&
    b[2] === 0x4e &&
    b[3] === 0x47 &&
    b[4] === 0x0d &&
    b[5] === 0x0a &&
    b[6] === 0x1a &&
    b[7] === 0x0a
  )
    return INFO.png;
  if (
    b.length >= 4 &&
    ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 42 && b[3] === 0) || (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0 && b[3] === 42))
  )
    return INFO.tiff;
  if (
    b.length >= 12 &&
    b[0] === 0x52 &&
    b[1] === 0x49 &&
    b[2] === 0x46 &&
    b[3] === 0x46 &&
    b[8] === 0x57 &&
    b[9] === 0x45 &&
    b[10] === 0x42 &&
    b[11] === 0x50
  )
    return INFO.webp;
  if (
    b.length >= 18 &&
    b[0] === 0x42 &&
    b[1] === 0x4d &&
    BMP_INFO_HEADER_SIZES.has(b[14]! | (b[15]! << 8) | (b[16]! << 16) | (b[17]! << 24))
  )
    return INFO.bmp;
  if (
    b.length >= 6 &&
    b[0] === 0x47 &&
    b[1] === 0x49 &&
    b[2] === 0x46 &&
    b[3] === 0x38 &&
    (b[4] === 0x37 || b[4] === 0x39) &&
    b[5] === 0x61
  )
    return INFO.gif; // GIF87a, GIF89a
  return null;
}

/** The fields of a BMP's file and info headers that the checks read. */
export interface BmpHeader {
  /** Offset of the pixel data in the file. */
  pixelsAt: number;
  infoSize: number;
  width: number;
  /** Negative for top-down rows. */
  height: number;
  bitsPerPixel: number;
  /** 0 RGB, 1 RLE8, 2 RLE4, 3 BITFIELDS, 4 JPEG, 5 PNG, 6 ALPHABITFIELDS. */
  compression: number;
  /** Bytes of (compressed) pixel data the info header gives; 0 when it gives none. */
  imageSize: number;
}

/**
 * Reads a BMP's headers (BITMAPCOREHEADER: 16-bit width and height, never compressed; the longer info headers:
 * 32-bit, compression and image size where they reach); null when the file is shorter than the headers it declares.
 */
export function readBmpHeader(b: Uint8Array): BmpHeader | null {
  if (b.length < 26) return null;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const infoSize = dv.getUint32(14, true);
  if (b.length < 14 + infoSize) return null;
  const core = infoSize === 12;
  return {
    pixelsAt: dv.getUint32(10, true),
    infoSize,
    width: core ? dv.getUint16(18, true) : dv.getInt32(18, true),
    height: core ? dv.getInt16(20, true) : dv.getInt32(22, true),
    bitsPerPixel: dv.getUint16(core ? 24 : 28, true),
    compression: core || infoSize < 20 ? 0 : dv.getUint32(30, true),
    imageSize: core || infoSize < 24 ? 0 : dv.getUint32(34, true),
  };
}

/**
 * Width and height a BMP or GIF header declares (a BMP's info header; a GIF's logical screen, which holds its frames),
 * read before decoding so that oversized images are refused first; null for other formats or a header too short.
 */
export function declaredSize(b: Uint8Array, format: ImageFormat): { width: number; height: number } | null {
  if (format === "gif" && b.length >= 10) return { width: b[6]! | (b[7]! << 8), height: b[8]! | (b[9]! << 8) };
  const bmp = format === "bmp" ? readBmpHeader(b) : null;
  return bmp && { width: bmp.width, height: Math.abs(bmp.height) };
}
