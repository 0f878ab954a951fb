/**
 * Reads bytes — a file in blocks of BLOCK_BYTES, or bytes already in memory — for checks that walk a file once
 * without holding it whole (png-check.ts). Each block is a fresh buffer, so a consumer may keep a view of it (a
 * streaming inflater does until it has processed the piece).
 */
import { open, type FileHandle } from "node:fs/promises";
import { ImageError } from "./errors.ts";

const BLOCK_BYTES = 1 << 20;

export class BlockReader {
  private buf: Uint8Array = new Uint8Array(0);
  private off = 0;

  private constructor(
    private readonly nextBlock: () => Promise<Uint8Array | null>,
    readonly close: () => Promise<void>,
  ) {}

  static ofBytes(bytes: Uint8Array): BlockReader {
    let given = false;
    return new BlockReader(
      async () => (given ? null : ((given = true), bytes)),
      async () => {},
    );
  }

  /** Opens the file; a file that cannot be opened is IMAGE_UNREADABLE_FILE. Close the reader when done. */
  static async ofFile(path: string): Promise<BlockReader> {
    let fh: FileHandle;
    try {
      fh = await open(path, "r");
    } catch (e) {
      throw new ImageError("IMAGE_UNREADABLE_FILE", `cannot read file: ${(e as Error).message}`);
    }
    const next = async () => {
      const b = new Uint8Array(BLOCK_BYTES);
      const { bytesRead } = await fh.read(b, 0, b.length, null);
      return bytesRead === 0 ? null : b.subarray(0, bytesRead);
    };
    return new BlockReader(next, () => fh.close());
  }

  /** Exactly `n` bytes (a small header), or null when the input ends first. */
  async exactly(n: number): Promise<Uint8Array | null> {
    while (this.buf.length - this.off < n) {
      const b = await this.nextBlock();
      if (!b) return null;
      const rest = this.buf.subarray(this.off);
      const joined = new Uint8Array(rest.length + b.length);
      joined.set(rest);
      joined.set(b, rest.length);
      this.buf = joined;
      this.off = 0;
    }
    const v = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return v;
  }

  /** The next 1 to `max` bytes (a piece of a long run), or null when the input has ended. */
  async upTo(max: number): Promise<Uint8Array | null> {
    if (this.off >= this.buf.length) {
      const b = await this.nextBlock();
      if (!b) return null;
      this.buf = b;
      this.off = 0;
    }
    const v = this.buf.subarray(this.off, this.off + Math.min(max, this.buf.length - this.off));
    this.off += v.length;
    return v;
  }
}
