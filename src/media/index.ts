export { sniffImageFormat, formatFromExtension, formatInfo } from "./format.ts";
export type { ImageFormat } from "./format.ts";
export { ImageError, isImageError } from "./errors.ts";
export { probeImage, decodeImage, decodeGrey, takeDecodedCanvas, cropDecodedCanvas } from "./decode.ts";
export { toGrey } from "./image.ts";
export type { RgbaImage, GreyImage } from "./image.ts";
export { encodeJpeg, encodePng, canvasFromRgba, cropRgba, resizeRgba } from "./encode.ts";
