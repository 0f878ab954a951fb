import * as UTIF from "utif2";
import { ImageError } from "./errors.ts";
import type { RgbaImage } from "./image.ts";

type Ifd = UTIF.IFD;

function tag(ifd: Ifd, id: number): number[] | undefined {
  const v = ifd[`t${id}`];
  return Array.isArray(v) ? (v as number[]) : undefined;
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** Parse the IFDs and return the first one that describes an image (the first page of a multi-page TIFF). */
function firstImageIfd(buf: ArrayBuffer): Ifd {
  let ifds: Ifd[];
  try {
    ifds = UTIF.decode(buf);
  } catch (e) {
    throw new ImageError("IMAGE_CORRUPT", `corrupt TIFF: ${describe(e)}`);
  }
  const ifd = ifds.find((d) => tag(d, 256) !== undefined && tag(d, 257) !== undefined);
  if (!ifd) throw new ImageError("IMAGE_CORRUPT", "TIFF has no image directory");
  return ifd;
}

function describe(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/** Width and height from the TIFF header, without decompressing pixels. */
export function tiffSize(bytes: Uint8Array): { width: number; height: number } {
  const ifd = firstImageIfd(toArrayBuffer(bytes));
  return { width: tag(ifd, 256)![0]!, height: tag(ifd, 257)![0]! };
}

/**
 * Decode the first image of a TIFF (strips or tiles; uncompressed, LZW, Deflate, PackBits, JPEG, CCITT as utif2 supports)
 * to 8-bit RGBA. Grey and RGB with 8 or 16 bits per sample (any byte order) are converted here; other layouts
 * (palette, bilevel, CMYK, float) go through utif2's own converter.
 */
export function decodeTiff(bytes: Uint8Array): RgbaImage {
  const buf = toArrayBuffer(bytes);
  const ifd = firstImageIfd(buf);
  const log = console.log;
  try {
    console.log = () => {}; // utif2 prints debug lines for tiled images
    UTIF.decodeImage(buf, ifd);
  } catch (e) {
    throw new ImageError("IMAGE_CORRUPT", `corrupt TIFF: ${describe(e)}`);
  } finally {
    console.log = log;
  }
  const { width, height } = ifd;
  if (!(width > 0 && height > 0) || !ifd.data) throw new ImageError("IMAGE_CORRUPT", "TIFF image data could not be decoded");
  const direct = rgbaFromSamples(ifd);
  if (direct) return { width, height, data: direct };
  let rgba: Uint8Array;
  try {
    rgba = UTIF.toRGBA8(ifd);
  } catch (e) {
    throw new ImageError("IMAGE_UNSUPPORTED", `unsupported TIFF layout: ${describe(e)}`);
  }
  return { width, height, data: new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, width * height * 4) };
}

/** Grey (0 WhiteIsZero / 1 BlackIsZero) or RGB (2), chunky, 8 or 16 bits per sample; null for anything else. */
function rgbaFromSamples(ifd: Ifd): Uint8ClampedArray | null {
  const photometric = tag(ifd, 262)?.[0] ?? 2;
  const bps = tag(ifd, 258)?.[0] ?? 1;
  const spp = tag(ifd, 277)?.[0] ?? tag(ifd, 258)?.length ?? 1;
  const planar = tag(ifd, 284)?.[0] ?? 1;
  const compression = tag(ifd, 259)?.[0] ?? 1;
  const sampleFormat = tag(ifd, 339)?.[0] ?? 1;
  if (planar !== 1 || (bps !== 8 && bps !== 16) || sampleFormat === 3) return null;
  if (compression === 7 && photometric === 6) return null; // JPEG-in-TIFF YCbCr: utif2 hands back RGB itself
  const grey = photometric === 0 || photometric === 1;
  if (!grey && photometric !== 2) return null;
  if (grey ? spp < 1 : spp < 3) return null;
  const { width, height } = ifd;
  const data = ifd.data;
  const bytesPerSample = bps / 8;
  const rowBytes = Math.ceil((width * spp * bps) / 8);
  if (data.length < rowBytes * height) return null;
  const out = new Uint8ClampedArray(width * height * 4);
  // 16-bit samples are little-endian after utif2's decode (it swaps big-endian files); take the high byte.
  const hi = bytesPerSample === 2 ? 1 : 0;
  const invert = photometric === 0;
  for (let y = 0; y < height; y++) {
    let src = y * rowBytes;
    let dst = y * width * 4;
    for (let x = 0; x < width; x++, src += spp * bytesPerSample, dst += 4) {
      if (grey) {
        const v = data[src + hi]!;
        const g = invert ? 255 - v : v;
        out[dst] = g;
        out[dst + 1] = g;
        out[dst + 2] = g;
      } else {
        out[dst] = data[src + hi]!;
        out[dst + 1] = data[src + bytesPerSample + hi]!;
        out[dst + 2] = data[src + 2 * bytesPerSample + hi]!;
      }
      out[dst + 3] = 255;
    }
  }
  return out;
}
