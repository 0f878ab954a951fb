import { ImageError } from "./errors.ts";

/** Largest accepted image, in pixels (about 16k × 12k); bigger inputs are refused before decoding. */
export const MAX_IMAGE_PIXELS = 200_000_000;

/** Refuses an image without pixels (IMAGE_CORRUPT) or with more than MAX_IMAGE_PIXELS (IMAGE_TOO_LARGE). */
export function checkSize(width: number, height: number): void {
  if (!(width > 0 && height > 0)) throw new ImageError("IMAGE_CORRUPT", "image has no pixels");
  if (width * height > MAX_IMAGE_PIXELS)
    throw new ImageError("IMAGE_TOO_LARGE", `image is ${width}×${height}, more than ${MAX_IMAGE_PIXELS} pixels`);
}
