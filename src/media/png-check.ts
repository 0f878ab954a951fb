/**
 * A PNG checked the way libpng reads it, in bounded memory and without decoding pixels: a 190 KB PNG of 14000×14000
 * grey pixels inflates to 196 MB and decodes to 784 MB of RGBA, which a full decode per upload would hold (four at
 * once: over 2 GB). Instead the file is read in blocks (block-reader.ts) and walked chunk by chunk:
 *  - the signature, IHDR first and valid (depth and colour type a legal pair, compression/filter method 0, interlace
 *    0 or 1); the size is checked against the pixel limit before any image data is read;
 *  - every chunk's CRC; no unknown critical chunk; PLTE where colour type 3 needs it; IDAT chunks consecutive; IEND
 *    (bytes after it are allowed, as decoders ignore them);
 *  - the IDAT stream inflated as a stream (node:zlib, 64 KiB pieces, nothing kept): a zlib stream that inflates to
 *    at least the bytes the header implies (rows of each Adam7 pass when interlaced), with a legal filter type (0–4)
 *    at the start of every row. Inflating stops there: decoders read no further (libpng warns of extra compressed
 *    data and decodes the image), so a surplus is accepted uninflated — and a stream that would inflate to gigabytes
 *    costs no more than the image. (A stream that ends before the last row is checked to its end, Adler-32 too.)
 * Decoders (skia's libpng) paint undecodable or missing image data black and report success, so these checks are
 * what refuses a damaged file; the pixel values themselves cannot be invalid.
 */
import { createInflate, crc32 } from "node:zlib";
import { BlockReader } from "./block-reader.ts";
import { ImageError } from "./errors.ts";
import { checkSize } from "./limits.ts";

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Legal bit depths of each colour type. */
const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** Adam7 passes: x offset, y offset, x step, y step. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;
const PIECE = 1 << 16;

export interface PngHeader {
  width: number;
  height: number;
  depth: number;
  colour: number;
  interlace: number;
}

const corrupt = (reason: string) => new ImageError("IMAGE_CORRUPT", reason);

/** Checks the PNG (bytes, or the file at a path) as above; returns its size, or throws an ImageError. */
export async function checkPng(input: Uint8Array | string): Promise<{ width: number; height: number }> {
  const r = typeof input === "string" ? await BlockReader.ofFile(input) : BlockReader.ofBytes(input);
  try {
    return await walk(r);
  } finally {
    await r.close();
  }
}

async function walk(r: BlockReader): Promise<{ width: number; height: number }> {
  const sig = await r.exactly(8);
  if (!sig || SIGNATURE.some((v, i) => sig[i] !== v)) throw corrupt("not a PNG signature");
  let header: PngHeader | undefined;
  let image: ImageData | undefined;
  let sawPalette = false;
  let idatDone = false;
  try {
    for (;;) {
      const head = await r.exactly(8);
      if (!head) throw corrupt("PNG is truncated (no IEND chunk)");
      const dv = new DataView(head.buffer, head.byteOffset, 8);
      const len = dv.getUint32(0);
      const type = String.fromCharCode(head[4]!, head[5]!, head[6]!, head[7]!);
      if (!/^[A-Za-z]{4}$/.test(type) || len > 0x7fffffff) throw corrupt("PNG has a malformed chunk header");
      if (!header && type !== "IHDR") throw corrupt("PNG does not start with its IHDR chunk");
      if (type === "IHDR" && (header || len !== 13)) throw corrupt("PNG has an invalid IHDR chunk");
      if (type === "IDAT") {
        if (idatDone) throw corrupt("PNG image data is not in consecutive IDAT chunks");
        if (!image && header!.colour === 3 && !sawPalette) throw corrupt("PNG has no palette");
        image ??= new ImageData(header!); // its data is inflated as it is read
      } else if (image) idatDone = true;
      let crc = crc32(head.subarray(4, 8));
      const small = type === "IHDR" ? new Uint8Array(len) : undefined;
      for (let left = len; left > 0; ) {
        const piece = await r.upTo(Math.min(left, PIECE));
        if (!piece) throw corrupt(`PNG is truncated (chunk ${type} runs past the end of the file)`);
        crc = crc32(piece, crc);
        small?.set(piece, len - left);
        if (type === "IDAT") await image!.write(piece);
        left -= piece.length;
      }
      const stored = await r.exactly(4);
      if (!stored) throw corrupt(`PNG is truncated (chunk ${type} runs past the end of the file)`);
      if (new DataView(stored.buffer, stored.byteOffset, 4).getUint32(0) !== crc >>> 0)
        throw corrupt(`PNG chunk ${type} has a bad checksum`);
      if (type === "IHDR") {
        header = readHeader(small!);
        checkSize(header.width, header.height);
      } else if (type === "PLTE") {
        if (image || len % 3 !== 0 || len === 0 || len > 768 || header!.colour === 0 || header!.colour === 4)
          throw corrupt("PNG has an invalid palette");
        sawPalette = true;
      } else if (type === "IEND") {
        if (!image) throw corrupt("PNG has no image data");
        await image.end();
        return { width: header!.width, height: header!.height };
      } else if (type !== "IDAT" && type.charCodeAt(0) < 97) {
        throw corrupt(`PNG has an unknown critical chunk ${type}`);
      }
    }
  } finally {
    image?.destroy();
  }
}

function readHeader(b: Uint8Array): PngHeader {
  const dv = new DataView(b.buffer, b.byteOffset, 13);
  const h = { width: dv.getUint32(0), height: dv.getUint32(4), depth: b[8]!, colour: b[9]!, interlace: b[12]! };
  if (!DEPTHS[h.colour]?.includes(h.depth)) throw corrupt(`PNG has an invalid bit depth ${h.depth} for colour type ${h.colour}`);
  if (b[10] !== 0 || b[11] !== 0 || h.interlace > 1) throw corrupt("PNG has an unknown compression, filter or interlace method");
  if (h.width > 0x7fffffff || h.height > 0x7fffffff) throw corrupt("PNG is larger than the format allows");
  return h;
}

/** Rows of the filtered image data: [bytes per row including its filter byte, rows], one entry per (Adam7) pass. */
function rowLayout(h: PngHeader): [number, number][] {
  const bits = CHANNELS[h.colour]! * h.depth;
  const rowBytes = (w: number) => 1 + Math.ceil((w * bits) / 8);
  if (h.interlace === 0) return [[rowBytes(h.width), h.height]];
  const out: [number, number][] = [];
  for (const [x0, y0, dx, dy] of ADAM7) {
    const w = Math.ceil((h.width - x0) / dx);
    const rows = Math.ceil((h.height - y0) / dy);
    if (w > 0 && rows > 0) out.push([rowBytes(w), rows]);
  }
  return out;
}

/** The IDAT stream being inflated and checked (row filter types, exact length); never holds more than a piece. */
class ImageData {
  private readonly inflater = createInflate({ chunkSize: PIECE });
  private readonly layout: [number, number][];
  private readonly expected: number;
  private total = 0;
  /** Where the next output byte falls: pass (layout entry), rows left in it, bytes left in the current row. */
  private pass = 0;
  private rowsLeft: number;
  private inRow = 0;
  private problem: string | undefined;
  /** All the rows have been inflated. */
  private complete = false;
  private readonly ended: Promise<void>;

  constructor(h: PngHeader) {
    this.layout = rowLayout(h);
    this.expected = this.layout.reduce((n, [bytes, rows]) => n + bytes * rows, 0);
    this.rowsLeft = this.layout[0]![1];
    this.inflater.on("data", (d: Uint8Array) => this.take(d));
    this.ended = new Promise<void>((resolve) => {
      this.inflater.on("end", resolve);
      this.inflater.on("close", resolve);
      this.inflater.on("error", () => {
        this.problem ??= "PNG image data is corrupt";
        resolve();
      });
    });
  }

  private take(data: Uint8Array): void {
    if (this.problem || this.complete) return;
    const d = data.subarray(0, this.expected - this.total);
    this.total += d.length;

    for (let at = 0; at < d.length; ) {
      if (this.inRow === 0) {
        if (d[at]! > 4) {
          this.fail(`PNG has an invalid row filter type ${d[at]}`);
          return;
        }
        if (this.rowsLeft === 0) this.rowsLeft = this.layout[++this.pass]![1];
        this.rowsLeft--;
        this.inRow = this.layout[this.pass]![0];
      }
      const n = Math.min(this.inRow, d.length - at);
      this.inRow -= n;
      at += n;
    }
    if (this.total === this.expected) {
      // Every row is there. Decoders stop reading here too (libpng only warns of extra compressed data), so a surplus
      // is neither inflated nor refused.
      this.complete = true;
      this.inflater.destroy();
    }
  }

  private fail(reason: string): void {
    this.problem ??= reason;
    this.inflater.destroy();
  }

  /** Feeds a piece of IDAT data (waits while the inflater is behind); throws once a problem is known. */
  async write(piece: Uint8Array): Promise<void> {
    if (!this.problem && !this.complete && !this.inflater.destroyed) {
      if (!this.inflater.write(piece))
        await new Promise<void>((resolve) => {
          this.inflater.once("drain", resolve);
          this.inflater.once("close", resolve);
        });
    }
    if (this.problem) throw corrupt(this.problem);
  }

  /** The IDAT data has all been fed: waits for the inflater and checks the length. */
  async end(): Promise<void> {
    if (!this.problem && !this.complete) this.inflater.end();
    await this.ended;
    if (this.problem) throw corrupt(this.problem);
    if (!this.complete) throw corrupt("PNG image data is shorter than the image");
  }

  destroy(): void {
    this.inflater.destroy();
  }
}
