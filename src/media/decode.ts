import { open } from "node:fs/promises";
import { Image, createCanvas, type Canvas } from "@napi-rs/canvas";
import { ImageError } from "./errors.ts";
import { FORMAT_NAMES, declaredSize, sniffImageFormat, type ImageFormat } from "./format.ts";
import { toGrey, type GreyImage, type RgbaImage } from "./image.ts";
import { decodeTiff, tiffSize } from "./tiff.ts";
import { truncationProblem } from "./complete.ts";
import { jpegStructureProblem } from "./jpeg-structure.ts";
import { checkPng } from "./png-check.ts";
import { checkTiffDecodes } from "./tiff-thread.ts";
import { MAX_IMAGE_PIXELS, checkSize } from "./limits.ts";
import type { DecodeBudget } from "./decode-budget.ts";
import { clipBox } from "./encode.ts";

export interface ImageProbe {
  format: ImageFormat;
  width: number;
  height: number;
}

async function readInput(input: Uint8Array | string): Promise<Uint8Array> {
  if (typeof input !== "string") return input;
  try {
    return new Uint8Array(await Bun.file(input).arrayBuffer());
  } catch (e) {
    throw new ImageError("IMAGE_UNREADABLE_FILE", `cannot read file: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The first bytes of a file: enough to recognise its format. */
async function readHead(path: string): Promise<Uint8Array> {
  try {
    const fh = await open(path, "r");
    try {
      const b = new Uint8Array(32);
      const { bytesRead } = await fh.read(b, 0, b.length, 0);
      return b.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (e) {
    throw new ImageError("IMAGE_UNREADABLE_FILE", `cannot read file: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The format of whole image bytes, refusing unknown and visibly incomplete files; a PNG is checked in full (png-check.ts). */
async function formatOf(bytes: Uint8Array): Promise<ImageFormat> {
  const info = sniffImageFormat(bytes);
  if (!info) throw new ImageError("IMAGE_UNKNOWN_FORMAT", `not a ${FORMAT_NAMES} image`);
  if (info.format === "png") {
    await checkPng(bytes);
    return "png";
  }
  const problem = truncationProblem(bytes, info.format);
  if (problem) throw new ImageError("IMAGE_CORRUPT", problem);
  return info.format;
}

/** Unlimited: for callers that decode anyway (the page processor). */
const noBudget = { run: <T>(_bytes: number, _what: string, check: () => Promise<T> | T) => Promise.resolve().then(check) };

/**
 * Load JPEG/PNG/WebP/BMP/GIF bytes into a canvas Image (skia's codecs) and force a full decode. (Setting `src` alone starts that decode in the
 * background anyway, so the canvas is no cheap way to read a header.)
 */
async function canvasImage(bytes: Uint8Array, format: ImageFormat): Promise<Image> {
  // A BMP's or GIF's header says its size; check it before setting src, which starts the full decode in the background
  // (a 64-byte RLE BMP declaring 20000×20000 would otherwise have skia fill 1.6 GB after it was refused).
  const declared = declaredSize(bytes, format);
  if (declared && declared.width * declared.height > MAX_IMAGE_PIXELS) checkSize(declared.width, declared.height);
  const img = new Image();
  img.onerror = () => {}; // reported through decode()
  img.src = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const corrupt = () => new ImageError("IMAGE_CORRUPT", `corrupt ${format.toUpperCase()} image`);
  // The canvas knows a JPEG's, PNG's or WebP's size before decoding, a BMP's or GIF's only after: their headers say it.
  const size = img.width > 0 && img.height > 0 ? { width: img.width, height: img.height } : declared;
  if (!size) throw corrupt();
  checkSize(size.width, size.height);
  try {
    await img.decode();
  } catch {
    throw corrupt();
  }
  if (!(img.width > 0 && img.height > 0)) throw corrupt();
  return img;
}

/**
 * Check that the bytes (or the file at a path) are a complete image that the decoder accepts. Returns the format and
 * size, or throws an ImageError. The size is checked against MAX_IMAGE_PIXELS from the header first.
 * - PNG: walked once in bounded memory, its image data inflated as a stream and checked as libpng reads it, never
 *   decoded (png-check.ts); a file path is read in blocks, not whole.
 * - JPEG: not decoded either: its decodability is settled by its marker segments, which jpegStructureProblem checks as
 *   libjpeg does, while libjpeg decodes damaged entropy-coded data with a warning; its size comes from the decoder's
 *   header read.
 * - WebP, BMP, GIF (its first frame) and TIFF are decoded in full, each once `budget` has room for its pixels
 *   (decode-budget.ts; without one, at once); TIFF on a worker thread, for at most `tiffTimeoutMs` (tiff-thread.ts).
 *   Truncated files are refused (formatOf).
 */
export async function probeImage(
  input: Uint8Array | string,
  opts: { budget?: DecodeBudget; tiffTimeoutMs?: number } = {},
): Promise<ImageProbe> {
  if (sniffImageFormat(typeof input === "string" ? await readHead(input) : input)?.format === "png") {
    return { format: "png", ...(await checkPng(input)) };
  }
  const bytes = await readInput(input);
  const format = await formatOf(bytes);
  if (format === "jpeg") {
    const problem = jpegStructureProblem(bytes);
    if (problem) throw new ImageError("IMAGE_CORRUPT", problem);
    return { format, ...(await jpegDisplaySize(bytes)) };
  }
  const budget = opts.budget ?? noBudget;
  if (format === "tiff") {
    const { width, height } = tiffSize(bytes);
    checkSize(width, height);
    // utif2 holds the decoded samples and their RGBA conversion: up to 8 bytes per pixel for 8-bit images
    return {
      format,
      ...(await budget.run(width * height * 8, `a ${width}×${height} TIFF`, () => checkTiffDecodes(bytes, opts.tiffTimeoutMs))),
    };
  }
  const size = await headerSize(bytes, format);
  const cost = size ? size.width * size.height * 4 : MAX_IMAGE_PIXELS * 4;
  const what = size ? `a ${size.width}×${size.height} ${format.toUpperCase()}` : `a ${format.toUpperCase()} of unknown size`;
  return budget.run(cost, what, async () => {
    const fast = await bunDecodeCheck(bytes);
    if (fast) return { format, ...fast };
    const img = await canvasImage(bytes, format);
    return { format, width: img.width, height: img.height };
  });
}

/**
 * Width and height from the header (Bun.Image's header read, else a BMP's or GIF's own header), checked against the
 * pixel limit before anything is decoded; undefined when neither can read it (the decoder then decides).
 */
async function headerSize(bytes: Uint8Array, format: ImageFormat): Promise<{ width: number; height: number } | undefined> {
  let size: { width: number; height: number } | null = null;
  try {
    const meta = await new Bun.Image(bytes).metadata();
    if (meta.width > 0 && meta.height > 0) size = { width: meta.width, height: meta.height };
  } catch {}
  size ??= declaredSize(bytes, format);
  if (size) checkSize(size.width, size.height);
  return size ?? undefined;
}

/**
 * The fast decode check for WebP, BMP and GIF: Bun.Image (statically linked codecs) on Bun's worker threads, so
 * the event loop stays free. The image is decoded in full (the 1×1 output only spares the resampling). Width and
 * height come from the header, as the canvas decoder reports them.
 * Returns undefined when Bun.Image refuses the bytes; the caller then falls back to the canvas decoder, so nothing that
 * decoder accepts is refused here. Truncation is checked before (truncationProblem), as for the canvas decoder.
 */
async function bunDecodeCheck(bytes: Uint8Array): Promise<{ width: number; height: number } | undefined> {
  let meta: { width: number; height: number };
  try {
    meta = await new Bun.Image(bytes).metadata();
  } catch {
    return undefined;
  }
  checkSize(meta.width, meta.height);
  try {
    await new Bun.Image(bytes, { maxPixels: MAX_IMAGE_PIXELS }).resize(1, 1, { filter: "nearest" }).png().bytes();
  } catch {
    return undefined;
  }
  return { width: meta.width, height: meta.height };
}

/**
 * Width and height of a JPEG with its EXIF orientation applied, as a decode reports them: from the header read of
 * Bun.Image's libjpeg-turbo, or, should that refuse the header, from a full canvas decode (which refuses the file if
 * it cannot decode it either).
 */
async function jpegDisplaySize(bytes: Uint8Array): Promise<{ width: number; height: number }> {
  let size: { width: number; height: number } | undefined;
  try {
    const meta = await new Bun.Image(bytes).metadata();
    if (meta.width > 0 && meta.height > 0) size = { width: meta.width, height: meta.height };
  } catch {}
  size ??= await canvasImage(bytes, "jpeg");
  checkSize(size.width, size.height);
  return { width: size.width, height: size.height };
}

/** Decode a JPEG, PNG, TIFF, WebP, BMP or GIF (first frame) image to 8-bit RGBA. Grey inputs come out with R = G = B. */
export async function decodeImage(input: Uint8Array | string): Promise<RgbaImage & { format: ImageFormat }> {
  const bytes = await readInput(input);
  const format = await formatOf(bytes);
  if (format === "tiff") {
    const { width, height } = tiffSize(bytes);
    checkSize(width, height);
    return { ...decodeTiff(bytes), format };
  }
  const img = await canvasImage(bytes, format);
  const canvas = createCanvas(img.width, img.height);
  const ctx = canvas.getContext("2d");
  ctx.drawImage(img, 0, 0);
  const data = ctx.getImageData(0, 0, img.width, img.height).data;
  decodedCanvases.set(data, { canvas, opaque: format === "jpeg" });
  return { width: img.width, height: img.height, data, format };
}

/**
 * The canvas a decoded image was drawn on, kept so that one consumer (the page render) can draw on it instead of
 * copying the pixels into a new canvas (~40 ms for a 1600×2300 page on this machine's memory). Keyed by the pixel
 * array: an image resized or built otherwise has none. Nothing writes into decoded pixel arrays in place.
 */
const decodedCanvases = new WeakMap<Uint8ClampedArray, { canvas: Canvas; opaque: boolean }>();

/** Hands over the canvas holding exactly `img`'s pixels, once (the caller may draw on it); undefined if there is none. */
export function takeDecodedCanvas(img: RgbaImage): Canvas | undefined {
  const c = decodedCanvases.get(img.data)?.canvas;
  if (c) decodedCanvases.delete(img.data);
  return c && c.width === img.width && c.height === img.height ? c : undefined;
}

/**
 * The box [x1, x2) × [y1, y2) of `img` (rounded and clipped as cropRgba does) on a new canvas, copied from the canvas the
 * image was decoded on: cheaper than cropRgba + canvasFromRgba (two pixel copies, each into fresh memory), with the same
 * pixels. Only for an opaque (JPEG) decode whose canvas was not handed over yet; undefined otherwise, or for an empty box.
 */
export function cropDecodedCanvas(img: RgbaImage, x1: number, y1: number, x2: number, y2: number): Canvas | undefined {
  const d = decodedCanvases.get(img.data);
  if (!d?.opaque || d.canvas.width !== img.width || d.canvas.height !== img.height) return undefined;
  const { left, top, w, h } = clipBox(img, x1, y1, x2, y2);
  if (w === 0 || h === 0) return undefined;
  const crop = createCanvas(w, h);
  crop.getContext("2d").drawImage(d.canvas, left, top, w, h, 0, 0, w, h);
  return crop;
}

/** Decode and convert to 8-bit grey (BT.601 luma). */
export async function decodeGrey(input: Uint8Array | string): Promise<GreyImage> {
  return toGrey(await decodeImage(input));
}
