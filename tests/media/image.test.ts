import { describe, expect, test, beforeAll, afterAll } from "bun:test";
import { createCanvas } from "@napi-rs/canvas";
import * as UTIF from "utif2";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import {
  decodeImage,
  decodeGrey,
  encodeJpeg,
  encodePng,
  cropRgba,
  resizeRgba,
  formatFromExtension,
  ImageError,
  probeImage,
  sniffImageFormat,
  toGrey,
  takeDecodedCanvas,
  cropDecodedCanvas,
  canvasFromRgba,
} from "../../src/media/index.ts";
import { bmpBytes, gifBytes } from "../helpers/files.ts";

const W = 64;
const H = 40;

/** A test picture: left half red, right half a horizontal grey ramp, a black bar at the bottom. */
function drawPicture() {
  const canvas = createCanvas(W, H);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#ff0000";
  ctx.fillRect(0, 0, W / 2, H);
  for (let x = W / 2; x < W; x++) {
    const v = Math.round(((x - W / 2) / (W / 2 - 1)) * 255);
    ctx.fillStyle = `rgb(${v},${v},${v})`;
    ctx.fillRect(x, 0, 1, H);
  }
  ctx.fillStyle = "#000000";
  ctx.fillRect(0, H - 8, W, 8);
  return canvas;
}

interface TiffSpec {
  bps: 8 | 16;
  spp: 1 | 3;
  photometric: 0 | 1 | 2;
  rowsPerStrip: number;
  bigEndian: boolean;
}

/**
 * Minimal uncompressed TIFF writer for the tests (utif2's encoder only writes one 8-bit RGBA strip):
 * value(x, y, channel) gives an 8-bit sample, 16-bit files store v * 257.
 */
function writeTiff(w: number, h: number, spec: TiffSpec, value: (x: number, y: number, c: number) => number): Uint8Array {
  const bytesPerSample = spec.bps / 8;
  const rowBytes = w * spec.spp * bytesPerSample;
  const strips: Uint8Array[] = [];
  for (let y0 = 0; y0 < h; y0 += spec.rowsPerStrip) {
    const rows = Math.min(spec.rowsPerStrip, h - y0);
    const s = new Uint8Array(rows * rowBytes);
    const dv = new DataView(s.buffer);
    for (let y = 0; y < rows; y++)
      for (let x = 0; x < w; x++)
        for (let c = 0; c < spec.spp; c++) {
          const v = value(x, y0 + y, c);
          const off = y * rowBytes + (x * spec.spp + c) * bytesPerSample;
          if (spec.bps === 8) s[off] = v;
          else dv.setUint16(off, v * 257, !spec.bigEndian);
        }
    strips.push(s);
  }
  const le = !spec.bigEndian;
  const entries: [number, number, number[]][] = []; // tag, type (3 short, 4 long), values
  entries.push([256, 4, [w]], [257, 4, [h]], [258, 3, Array(spec.spp).fill(spec.bps)], [259, 3, [1]], [262, 3, [spec.photometric]]);
  entries.push([273, 4, strips.map(() => 0)], [277, 3, [spec.spp]], [278, 4, [spec.rowsPerStrip]], [279, 4, strips.map((s) => s.length)]);
  const ifdSize = 2 + entries.length * 12 + 4;
  const extraStart = 8 + ifdSize;
  // out-of-line values after the IFD, then strip data
  let extra = extraStart;
  const extraOffsets = entries.map(([, type, vals]) => {
    const size = vals.length * (type === 3 ? 2 : 4);
    if (size <= 4) return -1;
    const at = extra;
    extra += size;
    return at;
  });
  let dataAt = extra;
  const stripOffsets = strips.map((s) => {
    const at = dataAt;
    dataAt += s.length;
    return at;
  });
  entries[5]![2] = stripOffsets;
  const out = new Uint8Array(dataAt);
  const dv = new DataView(out.buffer);
  out[0] = out[1] = le ? 0x49 : 0x4d;
  dv.setUint16(2, 42, le);
  dv.setUint32(4, 8, le);
  dv.setUint16(8, entries.length, le);
  entries.forEach(([t, type, vals], i) => {
    const e = 10 + i * 12;
    dv.setUint16(e, t, le);
    dv.setUint16(e + 2, type, le);
    dv.setUint32(e + 4, vals.length, le);
    const put = (base: number) =>
      vals.forEach((v, k) => (type === 3 ? dv.setUint16(base + k * 2, v, le) : dv.setUint32(base + k * 4, v, le)));
    const at = extraOffsets[i]!;
    if (at < 0) put(e + 8);
    else {
      dv.setUint32(e + 8, at, le);
      put(at);
    }
  });
  dv.setUint32(10 + entries.length * 12, 0, le);
  strips.forEach((s, i) => out.set(s, stripOffsets[i]!));
  return out;
}

/** Minimal PNG writer (filter 0, zlib) for layouts the canvas cannot produce: 16-bit grey, grey + alpha. */
function writePng(
  w: number,
  h: number,
  colourType: 0 | 2 | 4,
  bitDepth: 8 | 16,
  value: (x: number, y: number, c: number) => number,
  compress: (raw: Uint8Array) => Uint8Array = (raw) => new Uint8Array(deflateSync(raw)),
): Uint8Array {
  const channels = colourType === 0 ? 1 : colourType === 4 ? 2 : 3;
  const bps = bitDepth / 8;
  const raw = new Uint8Array(h * (1 + w * channels * bps));
  let o = 0;
  for (let y = 0; y < h; y++) {
    raw[o++] = 0;
    for (let x = 0; x < w; x++)
      for (let c = 0; c < channels; c++) {
        const v = value(x, y, c);
        if (bps === 2) {
          raw[o++] = v; // high byte = the 8-bit value
          raw[o++] = 0x55;
        } else raw[o++] = v;
      }
  }
  const crcTable = new Uint32Array(256).map((_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Uint8Array) => {
    let c = 0xffffffff;
    for (const b of bytes) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Uint8Array) => {
    const out = new Uint8Array(12 + data.length);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, data.length);
    out.set(new TextEncoder().encode(type), 4);
    out.set(data, 8);
    dv.setUint32(8 + data.length, crc(out.subarray(4, 8 + data.length)));
    return out;
  };
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, w);
  dv.setUint32(4, h);
  ihdr[8] = bitDepth;
  ihdr[9] = colourType;
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", compress(raw)),
    chunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const ramp = (x: number, y: number, c: number) => (c === 0 ? (x * 4) & 255 : c === 1 ? (y * 6) & 255 : 200);

/** Left half red, right half blue. */
function redBlueHalves(w: number, h: number) {
  const c = createCanvas(w, h);
  const ctx = c.getContext("2d");
  ctx.fillStyle = "#ff0000";
  ctx.fillRect(0, 0, w / 2, h);
  ctx.fillStyle = "#0000ff";
  ctx.fillRect(w / 2, 0, w / 2, h);
  return c;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "media-test-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("sniffImageFormat", () => {
  test("recognises the six formats by magic bytes and refuses others", () => {
    const c = drawPicture();
    expect(sniffImageFormat(c.encodeSync("jpeg", 90))?.format).toBe("jpeg");
    expect(sniffImageFormat(c.encodeSync("png"))?.contentType).toBe("image/png");
    expect(sniffImageFormat(c.encodeSync("webp", 90))?.extension).toBe("webp");
    const tif = new Uint8Array(UTIF.encodeImage(new Uint8Array(W * H * 4), W, H));
    expect(sniffImageFormat(tif)?.format).toBe("tiff");
    expect(sniffImageFormat(writeTiff(4, 4, { bps: 8, spp: 1, photometric: 1, rowsPerStrip: 4, bigEndian: true }, ramp))?.format).toBe(
      "tiff",
    );
    expect(sniffImageFormat(new TextEncoder().encode("%PDF-1.7 hello"))).toBeNull();
    expect(sniffImageFormat(new TextEncoder().encode("GIF89a......"))?.format).toBe("gif");
    expect(sniffImageFormat(new TextEncoder().encode("GIF90a......"))).toBeNull();
    expect(sniffImageFormat(bmpBytes())?.contentType).toBe("image/bmp");
    expect(sniffImageFormat(new TextEncoder().encode("BMW owners' manual, page 1"))).toBeNull(); // "BM", no info header
    expect(sniffImageFormat(new Uint8Array([0xff, 0xd8]))).toBeNull();
  });

  test("extension lookup", () => {
    expect(formatFromExtension("Page.TIFF")).toBe("tiff");
    expect(formatFromExtension(".jpeg")).toBe("jpeg");
    expect(formatFromExtension("a.gif")).toBe("gif");
    expect(formatFromExtension("scan.BMP")).toBe("bmp");
    expect(formatFromExtension("a.pdf")).toBeNull();
  });
});

describe("decodeImage", () => {
  test("PNG decodes exactly", async () => {
    const img = await decodeImage(encodePng(drawPicture()));
    expect([img.format, img.width, img.height]).toEqual(["png", W, H]);
    expect(Array.from(img.data.subarray(0, 4))).toEqual([255, 0, 0, 255]);
    const last = ((H - 9) * W + (W - 1)) * 4; // right end of the ramp, above the bar
    expect(Array.from(img.data.subarray(last, last + 3))).toEqual([255, 255, 255]);
    const bar = ((H - 1) * W + 5) * 4;
    expect(Array.from(img.data.subarray(bar, bar + 3))).toEqual([0, 0, 0]);
  });

  test("JPEG and WebP decode close to the original, also from a path", async () => {
    const c = drawPicture();
    const jpgPath = join(dir, "p.jpg");
    writeFileSync(jpgPath, c.encodeSync("jpeg", 95));
    for (const input of [jpgPath, c.encodeSync("webp", 95)] as const) {
      const img = await decodeImage(input);
      expect([img.width, img.height]).toEqual([W, H]);
      const p = (5 * W + 5) * 4;
      expect(img.data[p]!).toBeGreaterThan(230);
      expect(img.data[p + 1]!).toBeLessThan(30);
    }
  });

  const variants: [string, TiffSpec][] = [
    ["8-bit grey, one strip, little-endian", { bps: 8, spp: 1, photometric: 1, rowsPerStrip: 1000, bigEndian: false }],
    ["8-bit grey WhiteIsZero, multi-strip", { bps: 8, spp: 1, photometric: 0, rowsPerStrip: 7, bigEndian: false }],
    ["16-bit grey, multi-strip, big-endian", { bps: 16, spp: 1, photometric: 1, rowsPerStrip: 5, bigEndian: true }],
    ["8-bit RGB, multi-strip, big-endian", { bps: 8, spp: 3, photometric: 2, rowsPerStrip: 3, bigEndian: true }],
    ["16-bit RGB, multi-strip, little-endian", { bps: 16, spp: 3, photometric: 2, rowsPerStrip: 6, bigEndian: false }],
  ];
  for (const [name, spec] of variants) {
    test(`TIFF ${name}`, async () => {
      const w = 50;
      const h = 33;
      const bytes = writeTiff(w, h, spec, ramp);
      const img = await decodeImage(bytes);
      expect([img.format, img.width, img.height]).toEqual(["tiff", w, h]);
      for (const [x, y] of [
        [0, 0],
        [13, 7],
        [49, 32],
        [25, 20],
      ] as const) {
        const p = (y * w + x) * 4;
        const got = Array.from(img.data.subarray(p, p + 4));
        if (spec.spp === 1) {
          const v = ramp(x, y, 0);
          const g = spec.photometric === 0 ? 255 - v : v;
          expect(got).toEqual([g, g, g, 255]);
        } else {
          expect(got).toEqual([ramp(x, y, 0), ramp(x, y, 1), ramp(x, y, 2), 255]);
        }
      }
      expect(await probeImage(bytes)).toEqual({ format: "tiff", width: w, height: h });
    });
  }

  test("PNG variants: 16-bit grey, 8-bit grey + alpha, 16-bit RGB", async () => {
    for (const [type, depth] of [
      [0, 16],
      [4, 8],
      [2, 16],
    ] as const) {
      const png = writePng(30, 20, type, depth, (x, y, c) => (type === 4 && c === 1 ? 255 : ramp(x, y, c)));
      expect(await probeImage(png)).toEqual({ format: "png", width: 30, height: 20 });
      const img = await decodeImage(png);
      const p = (7 * 30 + 11) * 4;
      const want = type === 2 ? [ramp(11, 7, 0), ramp(11, 7, 1), ramp(11, 7, 2)] : [ramp(11, 7, 0), ramp(11, 7, 0), ramp(11, 7, 0)];
      const got = Array.from(img.data.subarray(p, p + 3));
      for (let i = 0; i < 3; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(1);
    }
  });

  test("TIFF from utif2's own encoder (RGBA)", async () => {
    const rgba = new Uint8Array(W * H * 4);
    for (let i = 0; i < W * H; i++) rgba.set([i & 255, 10, 20, 255], i * 4);
    const img = await decodeImage(new Uint8Array(UTIF.encodeImage(rgba, W, H)));
    expect([img.width, img.height]).toEqual([W, H]);
    expect(Array.from(img.data.subarray(4 * 77, 4 * 77 + 4))).toEqual([77, 10, 20, 255]);
  });

  test("JPEG EXIF orientation is applied, as OpenCV's imread does", async () => {
    const c = redBlueHalves(80, 40);
    const jpg = c.encodeSync("jpeg", 95);
    // APP1 "Exif": little-endian TIFF header, IFD0 with Orientation (0x0112) = 6 (rotate 90° clockwise)
    const tiff = [0x49, 0x49, 0x2a, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0];
    const payload = [0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff];
    const app1 = [0xff, 0xe1, (payload.length + 2) >> 8, (payload.length + 2) & 255, ...payload];
    const rotated = new Uint8Array(jpg.length + app1.length);
    rotated.set(jpg.subarray(0, 2));
    rotated.set(app1, 2);
    rotated.set(jpg.subarray(2), 2 + app1.length);
    const img = await decodeImage(rotated);
    expect([img.width, img.height]).toEqual([40, 80]);
    expect(img.data[0]!).toBeGreaterThan(200); // red (the left half) is now on top
    const bottom = (79 * 40 + 20) * 4;
    expect(img.data[bottom + 2]!).toBeGreaterThan(200); // blue below
    expect(await probeImage(rotated)).toEqual({ format: "jpeg", width: 40, height: 80 });
  });

  test("grey conversion uses BT.601 luma", async () => {
    const g = await decodeGrey(encodePng(drawPicture()));
    expect(g.data[0]).toBe(76); // pure red
    expect(g.data[(H - 1) * W]).toBe(0);
    const t = toGrey({ width: 1, height: 1, data: new Uint8ClampedArray([0, 255, 0, 255]) });
    expect(t.data[0]).toBe(150);
  });
});

describe("BMP and GIF (docs/protocol.md §6.2: what the reference client uploads and OpenCV reads)", () => {
  const rgb = (x: number, y: number): [number, number, number] => [x * 40, y * 80, 200];

  test("a BMP decodes exactly, bottom-up rows and row padding included; probe gives its size", async () => {
    const bmp = bmpBytes(5, 3, rgb); // 15-byte rows padded to 16
    expect(await probeImage(bmp)).toEqual({ format: "bmp", width: 5, height: 3 });
    const img = await decodeImage(bmp);
    expect([img.format, img.width, img.height]).toEqual(["bmp", 5, 3]);
    for (const [x, y] of [
      [0, 0],
      [4, 0],
      [2, 1],
      [4, 2],
    ] as const) {
      const o = (y * 5 + x) * 4;
      expect(Array.from(img.data.subarray(o, o + 4))).toEqual([...rgb(x, y), 255]);
    }
  });

  test("a GIF (skia's encoder) decodes to its picture; probe gives its size", async () => {
    const gif = new Uint8Array(redBlueHalves(24, 16).encodeSync("gif"));
    expect(await probeImage(gif)).toEqual({ format: "gif", width: 24, height: 16 });
    const img = await decodeImage(gif);
    expect([img.format, img.width, img.height]).toEqual(["gif", 24, 16]);
    expect(Array.from(img.data.subarray(0, 3))).toEqual([255, 0, 0]);
    const right = (8 * 24 + 20) * 4;
    expect(Array.from(img.data.subarray(right, right + 3))).toEqual([0, 0, 255]);
  });

  test("a BMP that declares more pixels than the limit is refused before decoding", async () => {
    // RLE8, 20000 × 20000: a 2-colour palette and one end-of-bitmap code (00 01) make it whole in 64 bytes
    const b = new Uint8Array(14 + 40 + 8 + 2);
    const v = new DataView(b.buffer);
    b.set([0x42, 0x4d]);
    v.setUint32(2, b.length, true);
    v.setUint32(10, 62, true);
    v.setUint32(14, 40, true);
    v.setInt32(18, 20000, true);
    v.setInt32(22, 20000, true);
    v.setUint16(26, 1, true);
    v.setUint16(28, 8, true);
    v.setUint32(30, 1, true); // BI_RLE8
    v.setUint32(34, 2, true);
    v.setUint32(46, 2, true); // colours used
    b.set([0, 1], 62);
    const codeOf = async (p: Promise<unknown>) =>
      p.then(
        () => "no error",
        (e) => (e as ImageError).code,
      );
    expect(await codeOf(probeImage(b))).toBe("IMAGE_TOO_LARGE");
    expect(await codeOf(decodeImage(b))).toBe("IMAGE_TOO_LARGE");
  });

  test("cut-off BMPs and GIFs are refused at every length; trailing bytes after a whole file are not", async () => {
    const codeOf = async (p: Promise<unknown>) =>
      p.then(
        () => "no error",
        (e) => (e as ImageError).code,
      );
    const bmp = bmpBytes(7, 6, rgb);
    const gif = gifBytes(30, 20);
    for (const whole of [bmp, gif]) {
      expect(await codeOf(probeImage(whole))).toBe("no error");
      const withTail = new Uint8Array(whole.length + 7);
      withTail.set(whole);
      expect(await codeOf(probeImage(withTail))).toBe("no error");
      for (let n = 18; n < whole.length; n++) expect([n, await codeOf(probeImage(whole.subarray(0, n)))]).toEqual([n, "IMAGE_CORRUPT"]);
    }
  });
});

describe("probeImage and errors", () => {
  test("probe returns format and size", async () => {
    expect(await probeImage(drawPicture().encodeSync("jpeg", 80))).toEqual({ format: "jpeg", width: W, height: H });
    expect(await probeImage(drawPicture().encodeSync("webp", 80))).toEqual({ format: "webp", width: W, height: H });
  });

  async function codeOf(p: Promise<unknown>): Promise<string> {
    try {
      await p;
      return "no error";
    } catch (e) {
      expect(e).toBeInstanceOf(ImageError);
      return (e as ImageError).code;
    }
  }

  test("unknown format, truncated files and missing paths are typed errors", async () => {
    expect(await codeOf(probeImage(new TextEncoder().encode("hello world, not an image")))).toBe("IMAGE_UNKNOWN_FORMAT");
    const png = encodePng(drawPicture());
    expect(await codeOf(probeImage(png.subarray(0, 60)))).toBe("IMAGE_CORRUPT");
    const big = createCanvas(400, 300);
    const ctx = big.getContext("2d");
    for (let i = 0; i < 300; i++) {
      ctx.fillStyle = `rgb(${(i * 37) & 255},${(i * 91) & 255},${(i * 13) & 255})`;
      ctx.fillRect((i * 7) % 400, (i * 11) % 300, 30, 20);
    }
    const jpg = big.encodeSync("jpeg", 90);
    expect(await codeOf(probeImage(jpg.subarray(0, 200)))).toBe("IMAGE_CORRUPT");
    // PNG whose chunks are intact but whose image data is not zlib (decoders paint it black and say "ok")
    const badData = writePng(30, 20, 2, 8, ramp);
    const idat = Buffer.from(badData).indexOf("IDAT");
    const broken = Uint8Array.from(badData);
    broken[idat + 4] = 0x00; // zlib header destroyed; CRC now wrong too
    expect(await codeOf(probeImage(broken))).toBe("IMAGE_CORRUPT");
    // consistent checksums, but raw deflate instead of a zlib stream, or data cut short before compression
    expect(await codeOf(probeImage(writePng(30, 20, 2, 8, ramp, (raw) => Bun.deflateSync(Uint8Array.from(raw)))))).toBe("IMAGE_CORRUPT");
    expect(
      await codeOf(probeImage(writePng(30, 20, 2, 8, ramp, (raw) => new Uint8Array(deflateSync(raw.subarray(0, raw.length >> 1)))))),
    ).toBe("IMAGE_CORRUPT");
    const tif = writeTiff(40, 40, { bps: 8, spp: 3, photometric: 2, rowsPerStrip: 4, bigEndian: false }, ramp);
    expect(await codeOf(probeImage(tif.subarray(0, 6)))).toBe("IMAGE_CORRUPT");
    expect(await codeOf(probeImage(join(dir, "missing.png")))).toBe("IMAGE_UNREADABLE_FILE");
    // decoders happily fill a cut-off file with grey; the probe must still refuse it
    for (const whole of [jpg, big.encodeSync("png"), big.encodeSync("webp", 90)]) {
      expect(await codeOf(probeImage(whole))).toBe("no error");
      for (const f of [0.5, 0.95]) expect(await codeOf(probeImage(whole.subarray(0, Math.floor(whole.length * f))))).toBe("IMAGE_CORRUPT");
    }
    expect(await codeOf(decodeImage(new Uint8Array([0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x45, 0x42, 0x50])))).toBe("IMAGE_CORRUPT");
  });
});

describe("encode, crop, resize", () => {
  test("JPEG round trip, crop and resize keep the content", async () => {
    const img = await decodeImage(encodePng(drawPicture()));
    const jpg = encodeJpeg(img, 95);
    expect(sniffImageFormat(jpg)?.format).toBe("jpeg");
    const back = await decodeImage(jpg);
    expect([back.width, back.height]).toEqual([W, H]);
    const crop = cropRgba(img, W / 2, 0, W, 10);
    expect([crop.width, crop.height]).toEqual([W / 2, 10]);
    expect(crop.data[0]).toBe(0); // start of the ramp
    const half = resizeRgba(img, W / 2, H / 2);
    expect([half.width, half.height]).toEqual([W / 2, H / 2]);
    expect(half.data[0]!).toBeGreaterThan(200);
  });
});

describe("takeDecodedCanvas", () => {
  test("hands over the decoder's canvas once, holding exactly the decoded pixels; none for resized images or pixels built elsewhere", async () => {
    const png = drawPicture().encodeSync("png");
    const img = await decodeImage(png);
    const canvas = takeDecodedCanvas(img);
    expect(canvas).toBeDefined();
    expect([canvas!.width, canvas!.height]).toEqual([W, H]);
    expect(new Uint8Array(canvas!.getContext("2d").getImageData(0, 0, W, H).data)).toEqual(new Uint8Array(img.data));
    expect(encodeJpeg(canvas!, 70)).toEqual(encodeJpeg(canvasFromRgba(img), 70));
    expect(takeDecodedCanvas(img)).toBeUndefined(); // once
    expect(takeDecodedCanvas(resizeRgba(await decodeImage(png), W / 2, H / 2))).toBeUndefined();
    expect(takeDecodedCanvas(toGreyAsRgba(img))).toBeUndefined();
  });
});

describe("cropDecodedCanvas", () => {
  test("a JPEG decode's box on a new canvas: the same pixels and JPEG bytes as cropRgba, clipped alike; none once handed over, for a PNG or an empty box", async () => {
    const jpg = drawPicture().encodeSync("jpeg", 90);
    const img = await decodeImage(jpg);
    for (const [x1, y1, x2, y2] of [
      [5.4, 3.6, 40.2, 30.5],
      [-10, -10, W + 10, 12],
      [W / 2, H / 2, W + 3, H + 3],
    ] as const) {
      const canvas = cropDecodedCanvas(img, x1, y1, x2, y2);
      const crop = cropRgba(img, x1, y1, x2, y2);
      expect([canvas!.width, canvas!.height]).toEqual([crop.width, crop.height]);
      expect(new Uint8Array(canvas!.getContext("2d").getImageData(0, 0, crop.width, crop.height).data)).toEqual(new Uint8Array(crop.data));
      expect(encodeJpeg(canvas!, 95)).toEqual(encodeJpeg(crop, 95));
    }
    expect(cropDecodedCanvas(img, 10, 10, 10, 20)).toBeUndefined(); // empty
    expect(takeDecodedCanvas(img)).toBeDefined();
    expect(cropDecodedCanvas(img, 0, 0, 10, 10)).toBeUndefined(); // handed over (the render draws on it)
    expect(cropDecodedCanvas(await decodeImage(encodePng(drawPicture())), 0, 0, 10, 10)).toBeUndefined(); // may have alpha
  });
});

/** An RGBA image that never went through the decoder (same size, new pixel array). */
function toGreyAsRgba(img: { width: number; height: number; data: Uint8ClampedArray }) {
  const g = toGrey(img);
  const data = new Uint8ClampedArray(img.width * img.height * 4);
  for (let i = 0; i < g.data.length; i++) data.set([g.data[i]!, g.data[i]!, g.data[i]!, 255], i * 4);
  return { width: img.width, height: img.height, data };
}
