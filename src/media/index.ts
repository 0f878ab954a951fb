export { sniffImageFormat, formatFromExtension, formatInfo, hasImageExtension, FORMAT_NAMES } from "./format.ts";
export type { ImageFormat, ImageFormatInfo } from "./format.ts";
export { ImageError, isImageError } from "./errors.ts";
export type { ImageErrorCode } from "./errors.ts";
export { probeImage, decodeImage, decodeGrey, takeDecodedCanvas, MAX_IMAGE_PIXELS } from "./decode.ts";
export type { ImageProbe } from "./decode.ts";
export { toGrey } from "./image.ts";
export type { RgbaImage, GreyImage } from "./image.ts";
export { encodeJpeg, encodePng, canvasFromRgba, cropRgba, resizeRgba } from "./encode.ts";
