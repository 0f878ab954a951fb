/**
 * Test inputs: small real images (PNG, JPEG, GIF, BMP) and ZIPs, ALTO and PAGE XML, page images with a heading or with
 * printed text lines (for OCR), and folders of pages with ALTO and metadata as the client reads them.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createCanvas } from "@napi-rs/canvas";
import { zipSync } from "fflate";
import { stemOf } from "../../src/client/inputs.ts";

/** The small test page: white with a dark square near the top left corner. */
function testPicture(w: number, h: number) {
  const c = createCanvas(w, h);
  const ctx = c.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, w, h);
  ctx.fillStyle = "#123456";
  ctx.fillRect(2, 2, 5, 5);
  return c;
}

export function pngBytes(w = 16, h = 12): Uint8Array {
  return new Uint8Array(testPicture(w, h).toBuffer("image/png"));
}

export function jpegBytes(w = 16, h = 12): Uint8Array {
  const c = createCanvas(w, h);
  c.getContext("2d").fillRect(0, 0, 4, 4);
  return new Uint8Array(c.toBuffer("image/jpeg"));
}

/** A GIF of the same picture as pngBytes, from the canvas's (skia's) GIF encoder. */
export function gifBytes(w = 16, h = 12): Uint8Array {
  return new Uint8Array(testPicture(w, h).encodeSync("gif"));
}

/**
 * An uncompressed 24-bit BMP (BITMAPINFOHEADER, bottom-up rows padded to 4 bytes) whose pixel (x, y) is
 * `rgb(x, y)`; written by hand, as no library here encodes BMP — the decoders that read it are independent of it.
 */
export function bmpBytes(
  w = 5,
  h = 3,
  rgb: (x: number, y: number) => [number, number, number] = (x, y) => [x * 40, y * 80, 200],
): Uint8Array {
  const stride = Math.ceil((w * 3) / 4) * 4;
  const b = new Uint8Array(54 + stride * h);
  const v = new DataView(b.buffer);
  b.set([0x42, 0x4d]);
  v.setUint32(2, b.length, true);
  v.setUint32(10, 54, true);
  v.setUint32(14, 40, true);
  v.setInt32(18, w, true);
  v.setInt32(22, h, true);
  v.setUint16(26, 1, true);
  v.setUint16(28, 24, true);
  v.setUint32(34, stride * h, true);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [r, g, bl] = rgb(x, y);
      b.set([bl, g, r], 54 + (h - 1 - y) * stride + x * 3);
    }
  }
  return b;
}

export function zipBytes(files: Record<string, string> = { "a.txt": "hello" }): Uint8Array {
  return zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, new TextEncoder().encode(v)])));
}

/** The DocAPI suite's VALID_ZIP: local header + dangling central header + EOCD declaring 0 entries. */
export const SUITE_VALID_ZIP = new Uint8Array([
  ...[0x50, 0x4b, 0x03, 0x04, ...new Array(26).fill(0)],
  ...[0x50, 0x4b, 0x01, 0x02, ...new Array(42).fill(0)],
  ...[0x50, 0x4b, 0x05, 0x06, ...new Array(18).fill(0)],
]);

export const ALTO = `<?xml version="1.0" encoding="UTF-8"?>
<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#"><Layout><Page ID="p1"><PrintSpace><TextBlock ID="b1"><TextLine ID="l1"><String CONTENT="x"/></TextLine></TextBlock></PrintSpace></Page></Layout></alto>`;
export const PAGE = `<?xml version="1.0" encoding="UTF-8"?>
<PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"><Page imageFilename="a.png" imageWidth="16" imageHeight="12"><TextRegion id="r1"/></Page></PcGts>`;

/** A real JPEG of a page with a heading and noise (noise makes it large when `w`/`h` are). */
export function pageJpeg(label: string, w = 320, h = 440, noise = false): Buffer {
  const c = createCanvas(w, h);
  const g = c.getContext("2d");
  g.fillStyle = "#f4f0e6";
  g.fillRect(0, 0, w, h);
  if (noise) {
    const img = g.getImageData(0, 0, w, h);
    let x = 1234567 ^ label.length;
    for (let i = 0; i < img.data.length; i += 4) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      const v = x & 255;
      img.data[i] = v;
      img.data[i + 1] = (v * 7) & 255;
      img.data[i + 2] = (v * 13) & 255;
    }
    g.putImageData(img, 0, 0);
  }
  g.fillStyle = "#222";
  g.font = "28px sans-serif";
  g.fillText(label, 20, 50);
  g.fillRect(20, 80, w - 40, h / 3);
  return c.toBuffer("image/jpeg", 92);
}

/** A minimal ALTO file for the page `stem`. */
export function altoXml(stem: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#"><Description><sourceImageInformation><fileName>${stem}</fileName></sourceImageInformation></Description><Layout><Page ID="${stem}" WIDTH="320" HEIGHT="440"/></Layout></alto>\n`;
}

export interface PageFolder {
  root: string;
  images: string;
  alto: string;
  metadata: string;
  names: string[];
}

/** `names` in a deliberately unnatural creation order; each gets a JPEG and an ALTO file. */
export function makePageFolder(root: string, names: string[], opts: { big?: boolean; metadata?: unknown } = {}): PageFolder {
  const images = join(root, "images");
  const alto = join(root, "alto");
  mkdirSync(images, { recursive: true });
  mkdirSync(alto, { recursive: true });
  for (const n of names) {
    writeFileSync(join(images, n), opts.big ? pageJpeg(n, 1400, 1800, true) : pageJpeg(n));
    writeFileSync(join(alto, `${stemOf(n)}.xml`), altoXml(stemOf(n)));
  }
  const metadata = join(root, "meta.json");
  writeFileSync(metadata, JSON.stringify(opts.metadata ?? { title: "Kronika", year: 1890, pages: names.length }));
  return { root, images, alto, metadata, names };
}

/** A white page with printed lines of text (for OCR) and, optionally, a dark picture block. */
export function textPage(lines: string[], opts: { width?: number; height?: number; picture?: boolean } = {}): Buffer {
  const w = opts.width ?? 1200,
    h = opts.height ?? 900;
  const c = createCanvas(w, h);
  const ctx = c.getContext("2d");
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, w, h);
  ctx.fillStyle = "#000000";
  ctx.font = "40px DejaVu Serif";
  lines.forEach((l, i) => ctx.fillText(l, 80, 120 + i * 70));
  if (opts.picture) {
    const g = ctx.createLinearGradient(700, 450, 1100, 800);
    g.addColorStop(0, "#202020");
    g.addColorStop(1, "#a0a0a0");
    ctx.fillStyle = g;
    ctx.fillRect(700, 450, 400, 350);
  }
  return c.encodeSync("jpeg", 92);
}
