/**
 * The memory the upload checks may spend on decoded pixels at once. The checks that decode an image in full (WebP,
 * BMP, GIF, TIFF; PNG and JPEG are checked without decoding) each reserve what their decode will hold (4 bytes per
 * pixel of RGBA, more for TIFF) before they start and give it back when done; checks that do not fit wait, first come
 * first served, so a few large images run one after the other instead of together. An image that alone needs more
 * than the whole budget is refused (IMAGE_TOO_LARGE) — the same answer whatever else is running.
 */
import { ImageError } from "./errors.ts";

const MB = 1024 * 1024;

export class DecodeBudget {
  private used = 0;
  private readonly waiting: { bytes: number; go: () => void }[] = [];

  constructor(readonly capacityBytes: number) {}

  /** Runs `check` once `bytes` are free; refuses at once when `bytes` exceed the whole budget. */
  async run<T>(bytes: number, what: string, check: () => Promise<T> | T): Promise<T> {
    if (bytes > this.capacityBytes) {
      throw new ImageError(
        "IMAGE_TOO_LARGE",
        `${what} needs ${Math.ceil(bytes / MB)} MB to be checked, more than the ${Math.floor(this.capacityBytes / MB)} MB this server allows`,
      );
    }
    if (this.waiting.length > 0 || this.used + bytes > this.capacityBytes) {
      await new Promise<void>((go) => this.waiting.push({ bytes, go }));
    } else this.used += bytes;
    try {
      return await check();
    } finally {
      this.used -= bytes;
      this.admit();
    }
  }

  /** Bytes reserved by running checks (for tests and metrics). */
  get inUse(): number {
    return this.used;
  }

  private admit(): void {
    while (this.waiting.length > 0 && this.used + this.waiting[0]!.bytes <= this.capacityBytes) {
      const next = this.waiting.shift()!;
      this.used += next.bytes;
      next.go();
    }
  }
}
