/** A decoded raster: 8-bit RGBA, row-major, no padding (the same layout as canvas ImageData). */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** An 8-bit single-channel raster, row-major, no padding. */
export interface GreyImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Luma of an RGBA image with the BT.601 weights OpenCV's cvtColor uses (alpha is ignored). */
export function toGrey(img: RgbaImage): GreyImage {
  const { width, height, data } = img;
  const n = width * height;
  const out = new Uint8Array(n);
  // fixed point: 0.299, 0.587, 0.114 scaled by 2^14
  for (let i = 0, p = 0; i < n; i++, p += 4) {
    out[i] = (data[p]! * 4899 + data[p + 1]! * 9617 + data[p + 2]! * 1868 + 8192) >> 14;
  }
  return { width, height, data: out };
}
