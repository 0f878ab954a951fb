import { createCanvas, ImageData, type Canvas } from "@napi-rs/canvas";
import type { RgbaImage } from "./image.ts";

/** Put an RGBA raster on a fresh canvas (for drawing overlays or encoding). */
export function canvasFromRgba(img: RgbaImage): Canvas {
  const canvas = createCanvas(img.width, img.height);
  const ctx = canvas.getContext("2d");
  ctx.putImageData(new ImageData(img.data, img.width, img.height), 0, 0);
  return canvas;
}

/** Encode an RGBA raster (or a canvas) as baseline JPEG; quality 0–100 (crops use 95, renders 70 in AnnoPage). */
export function encodeJpeg(img: RgbaImage | Canvas, quality = 95): Buffer {
  const canvas = "getContext" in img ? img : canvasFromRgba(img);
  return canvas.encodeSync("jpeg", Math.max(0, Math.min(100, Math.round(quality))));
}

/** Encode as PNG (lossless). */
export function encodePng(img: RgbaImage | Canvas): Buffer {
  const canvas = "getContext" in img ? img : canvasFromRgba(img);
  return canvas.encodeSync("png");
}

/** The box [x1, x2) × [y1, y2) rounded to whole pixels and clipped to the image (possibly empty). */
export function clipBox(img: { width: number; height: number }, x1: number, y1: number, x2: number, y2: number) {
  const left = Math.max(0, Math.min(img.width, Math.round(x1)));
  const top = Math.max(0, Math.min(img.height, Math.round(y1)));
  const right = Math.max(left, Math.min(img.width, Math.round(x2)));
  const bottom = Math.max(top, Math.min(img.height, Math.round(y2)));
  return { left, top, w: right - left, h: bottom - top };
}

/** Cut out the box [x1, x2) × [y1, y2) (clipped to the image) as a new raster. */
export function cropRgba(img: RgbaImage, x1: number, y1: number, x2: number, y2: number): RgbaImage {
  const { left, top, w, h } = clipBox(img, x1, y1, x2, y2);
  const out = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    const src = ((top + y) * img.width + left) * 4;
    out.set(img.data.subarray(src, src + w * 4), y * w * 4);
  }
  return { width: w, height: h, data: out };
}

/** Resample to a new size with the canvas' high-quality filter (used when ALTO/PAGE give another page size). */
export function resizeRgba(img: RgbaImage, width: number, height: number): RgbaImage {
  if (width === img.width && height === img.height) return img;
  const src = canvasFromRgba(img);
  const dst = createCanvas(width, height);
  const ctx = dst.getContext("2d");
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(src, 0, 0, width, height);
  return { width, height, data: ctx.getImageData(0, 0, width, height).data };
}
