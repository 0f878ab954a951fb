/** Image container formats the page processor and the upload check accept, recognised by magic bytes. */
export type ImageFormat = "jpeg" | "png" | "tiff" | "webp";

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
};

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

/** True when the file name has an image extension we read (jpg, jpeg, png, tif, tiff, webp …). */
export function hasImageExtension(name: string): boolean {
  return name.lastIndexOf(".") > 0 && formatFromExtension(name) !== null;
}

/**
 * Recognise the container format by its magic bytes; null when it is none of JPEG, PNG, TIFF, WebP.
 * Needs at most the first 16 bytes.
 */
export function sniffImageFormat(bytes: Uint8Array): ImageFormatInfo | null {
  const b = bytes;
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return INFO.jpeg;
  if (
    b.length >= 8 &&
    b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 &&
    b[4] === 0x0d && b[5] === 0x0a && b[6] === 0x1a && b[7] === 0x0a
  ) return INFO.png;
  if (b.length >= 4 && ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 42 && b[3] === 0) || (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0 && b[3] === 42)))
    return INFO.tiff;
  if (
    b.length >= 12 &&
    b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 &&
    b[8] === 0x57 && b[9] === 0x45 && b[10] === 0x42 && b[11] === 0x50
  ) return INFO.webp;
  return null;
}
