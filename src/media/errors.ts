/** Why an image could not be read. `code` is stable; `message` is one line for users. */
export type ImageErrorCode = "IMAGE_UNREADABLE_FILE" | "IMAGE_UNKNOWN_FORMAT" | "IMAGE_CORRUPT" | "IMAGE_UNSUPPORTED" | "IMAGE_TOO_LARGE";

export class ImageError extends Error {
  override readonly name = "ImageError";
  constructor(
    readonly code: ImageErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function isImageError(e: unknown): e is ImageError {
  return e instanceof ImageError;
}
