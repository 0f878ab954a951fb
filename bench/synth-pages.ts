#!/usr/bin/env bun
/**
 * Held-out test pages for the weight-free detector: scanned-looking pages composed like the dev set
 * (/work/shared/fixtures/pages) but from OTHER material — fonts found on this machine (Liberation, FreeFont, URW
 * base35, DejaVu), prose from /usr/share/common-licenses and pictures under /usr/share (doc charts, icons) — plus
 * drawn elements: photographs (textured gradients), charts, ruled and rules-only tables, maps, line drawings,
 * diagrams, geometric drawings, decorative initials, vignettes, friezes and stamps. 1–3 columns, skew ±1.5°,
 * JPEG quality 60–92, captions above/below, some figure-free pages. Deterministic per seed.
 *
 *   bun bench/synth-pages.ts --out DIR [--count 30] [--seed 1] [--ci] [--extended]
 *
 * Writes DIR/images/<id>.jpg and DIR/gt/<id>.json (the ground-truth form /work/shared/fixtures/pages/score.ts
 * reads). `--ci` (and `synthPage(seed, { ciOnly: true })`) uses only what CI always has: canvas drawing plus the
 * DejaVu fonts when present — without any font, text is drawn as glyph-like strokes.
 */
import { GlobalFonts, createCanvas, loadImage, type Image, type SKRSContext2D } from "@napi-rs/canvas";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { floorPlan, handNote, namingCaption, outlineMap, technicalDrawing } from "./synth-figures.ts";

export type Bbox = [number, number, number, number];
export interface GtElement {
  category: string;
  bbox: Bbox;
  caption: string | null;
  caption_bbox?: Bbox;
  source: string;
}
export interface SynthPage {
  id: string;
  jpeg: Buffer;
  gt: {
    page_id: string;
    image: string;
    width: number;
    height: number;
    language: string;
    layout: { columns: number; font: string; font_px: number; skew_deg: number; jpeg_quality: number };
    elements: GtElement[];
  };
}
export interface SynthOptions {
  /** only canvas drawing and DejaVu (when installed): what CI always has */
  ciOnly?: boolean;
  /** a page of running text only (no figure, no decoration): any detection on it is a false positive */
  figureFree?: boolean;
  /** also floor plans, technical drawings, outline maps, handwritten margin notes, more stamps, and captions that
   *  name what the figure shows (bench/synth-figures.ts) */
  extended?: boolean;
}

/** Deterministic pseudo-random numbers (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------- material

interface FontFace {
  family: string;
  italic?: string;
}
const FONT_FILES: [string, string][] = [
  ["/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf", "Q1 Liberation Serif"],
  ["/usr/share/fonts/truetype/liberation/LiberationSerif-Italic.ttf", "Q1 Liberation Serif Italic"],
  ["/usr/share/fonts/truetype/freefont/FreeSerif.ttf", "Q1 FreeSerif"],
  ["/usr/share/fonts/truetype/freefont/FreeSerifItalic.ttf", "Q1 FreeSerif Italic"],
  ["/usr/share/fonts/opentype/urw-base35/C059-Roman.otf", "Q1 C059"],
  ["/usr/share/fonts/opentype/urw-base35/C059-Italic.otf", "Q1 C059 Italic"],
  ["/usr/share/fonts/opentype/urw-base35/P052-Roman.otf", "Q1 P052"],
  ["/usr/share/fonts/opentype/urw-base35/P052-Italic.otf", "Q1 P052 Italic"],
  ["/usr/share/fonts/opentype/urw-base35/URWBookman-Light.otf", "Q1 Bookman"],
  ["/usr/share/fonts/opentype/urw-base35/URWBookman-LightItalic.otf", "Q1 Bookman Italic"],
  ["/usr/share/fonts/opentype/urw-base35/NimbusRoman-Bold.otf", "Q1 Nimbus Bold"],
  ["/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf", "Q1 Liberation Sans"],
  ["/usr/share/fonts/truetype/dejavu/DejaVuSerifCondensed.ttf", "Q1 DejaVu Serif Condensed"],
  ["/usr/share/fonts/truetype/dejavu/DejaVuSerifCondensed-Italic.ttf", "Q1 DejaVu Serif Condensed Italic"],
  ["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "Q1 DejaVu Sans"],
  ["/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf", "Q1 DejaVu Serif Bold"],
];
let fontsReady = false;
function registerFonts(): Set<string> {
  const have = new Set<string>();
  for (const [path, family] of FONT_FILES) {
    if (!existsSync(path)) continue;
    if (!fontsReady) GlobalFonts.registerFromPath(path, family);
    have.add(family);
  }
  fontsReady = true;
  return have;
}

function bodyFonts(ciOnly: boolean): FontFace[] {
  const have = registerFonts();
  const all: FontFace[] = ciOnly
    ? [
        { family: "Q1 DejaVu Serif Condensed", italic: "Q1 DejaVu Serif Condensed Italic" },
        { family: "Q1 DejaVu Sans", italic: "Q1 DejaVu Serif Condensed Italic" },
      ]
    : [
        { family: "Q1 Liberation Serif", italic: "Q1 Liberation Serif Italic" },
        { family: "Q1 FreeSerif", italic: "Q1 FreeSerif Italic" },
        { family: "Q1 C059", italic: "Q1 C059 Italic" },
        { family: "Q1 P052", italic: "Q1 P052 Italic" },
        { family: "Q1 Bookman", italic: "Q1 Bookman Italic" },
        { family: "Q1 DejaVu Serif Condensed", italic: "Q1 DejaVu Serif Condensed Italic" },
      ];
  return all.filter((f) => have.has(f.family));
}

const FALLBACK_TEXT =
  "the licence grants every person who receives a copy of the program permission to copy modify and distribute it under " +
  "the conditions stated below provided that the notice of copyright and this permission appear in all copies and that " +
  "no warranty is given for the work to the extent permitted by applicable law the entire risk as to quality and " +
  "performance of the program is with you should it prove defective you assume the cost of all necessary servicing";

function corpusWords(ciOnly: boolean): string[] {
  const dir = "/usr/share/common-licenses";
  let text = FALLBACK_TEXT;
  if (!ciOnly && existsSync(dir)) {
    const parts: string[] = [];
    for (const f of ["GPL-3", "Apache-2.0", "MPL-2.0", "Artistic", "LGPL-2.1", "GFDL-1.3", "CC0-1.0"]) {
      const p = join(dir, f);
      if (existsSync(p)) parts.push(readFileSync(p, "utf8"));
    }
    if (parts.length) text = parts.join(" ");
  }
  return text
    .replace(/[^A-Za-z0-9,.;:()'\- ]+/g, " ")
    .split(/\s+/)
    .filter((w) => w.length > 0 && w.length < 16 && !/^[-.]+$/.test(w));
}

interface PictureAsset {
  path: string;
  category: string;
  source: string;
}
function pictureAssets(): PictureAsset[] {
  const list: PictureAsset[] = [
    { path: "/usr/share/doc/nodejs/contributing/doc_img/scatter-plot.png", category: "Graph", source: "nodejs scatter-plot" },
    { path: "/usr/share/doc/nodejs/contributing/doc_img/compare-boxplot.png", category: "Graph", source: "nodejs compare-boxplot" },
    { path: "/usr/share/doc/python3-pip/html/topics/deps.png", category: "Diagram", source: "pip deps" },
    { path: "/usr/share/doc/valgrind/html/images/dh-tree.png", category: "Image", source: "valgrind dh-tree" },
    { path: "/usr/share/doc/valgrind/html/images/kcachegrind_xtree.png", category: "Image", source: "kcachegrind screenshot" },
  ];
  const icons = "/usr/share/icons/Adwaita/512x512";
  if (existsSync(icons))
    for (const sub of readdirSync(icons).sort())
      for (const f of readdirSync(join(icons, sub)).sort().slice(0, 4))
        if (f.endsWith(".png")) list.push({ path: join(icons, sub, f), category: "Image", source: `Adwaita ${sub}/${f}` });
  return list.filter((a) => existsSync(a.path));
}

// ---------------------------------------------------------------- drawing helpers

export type R = () => number;
export const pick = <T>(r: R, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
export const between = (r: R, a: number, b: number) => a + (b - a) * r();
/** Printing ink: a little lighter or darker from line to line, always the same near-neutral hue. */
const ink = (r: R) => {
  const v = 18 + Math.floor(r() * 22);
  return `rgb(${v + 4},${v + 2},${v})`;
};

/** Text drawn with a font, or — without any font — as glyph-like strokes of the same metrics. */
export class Typesetter {
  constructor(readonly useFonts: boolean) {}
  /** advance of one stroke glyph: letters differ in width like type does (i, l narrow; m, w wide) */
  private adv(ch: string, px: number): number {
    if (ch === " ") return px * 0.28;
    if (/[ilj.,;:'!|]/.test(ch)) return px * 0.26;
    if (/[mwMW]/.test(ch)) return px * 0.78;
    if (/[A-Z]/.test(ch)) return px * 0.62;
    return px * (0.42 + 0.1 * ((ch.charCodeAt(0) * 7) % 3));
  }
  width(ctx: SKRSContext2D, s: string, px: number): number {
    if (this.useFonts) return ctx.measureText(s).width;
    let w = 0;
    for (const ch of s) w += this.adv(ch, px);
    return w;
  }
  draw(ctx: SKRSContext2D, s: string, x: number, baseline: number, px: number, _r: R): void {
    if (this.useFonts) {
      ctx.fillText(s, x, baseline);
      return;
    }
    ctx.save();
    ctx.lineWidth = Math.max(1, px * 0.08);
    ctx.strokeStyle = ctx.fillStyle as string;
    let cx = x;
    for (const ch of s) {
      const w = this.adv(ch, px);
      if (ch !== " ") {
        const asc = /[bdfhklt]/.test(ch) ? 0.72 : /[A-Z0-9]/.test(ch) ? 0.7 : 0.48;
        const desc = /[gjpqy]/.test(ch) ? 0.2 : 0;
        const g = w - px * 0.08;
        const top = baseline - px * asc;
        ctx.beginPath();
        switch (ch.charCodeAt(0) % 5) {
          case 0: // bowl and stem
            ctx.ellipse(cx + g * 0.45, baseline - px * 0.24, g * 0.38, px * 0.23, 0, 0, 6.3);
            ctx.moveTo(cx + g * 0.85, top);
            ctx.lineTo(cx + g * 0.85, baseline + px * desc);
            break;
          case 1: // arch
            ctx.moveTo(cx + g * 0.1, baseline);
            ctx.lineTo(cx + g * 0.1, top);
            ctx.moveTo(cx + g * 0.1, baseline - px * 0.3);
            ctx.quadraticCurveTo(cx + g * 0.5, baseline - px * 0.6, cx + g * 0.9, baseline - px * 0.3);
            ctx.lineTo(cx + g * 0.9, baseline + px * desc);
            break;
          case 2: // open bowl
            ctx.arc(cx + g * 0.5, baseline - px * 0.24, Math.min(g * 0.45, px * 0.24), 0.6, 5.7);
            if (asc > 0.5) {
              ctx.moveTo(cx + g * 0.2, top);
              ctx.lineTo(cx + g * 0.2, baseline);
            }
            break;
          case 3: // diagonal pair
            ctx.moveTo(cx + g * 0.05, top);
            ctx.lineTo(cx + g * 0.5, baseline + px * desc);
            ctx.lineTo(cx + g * 0.95, top);
            break;
          default: // stem with bar
            ctx.moveTo(cx + g * 0.5, top);
            ctx.lineTo(cx + g * 0.5, baseline + px * desc);
            ctx.moveTo(cx + g * 0.1, baseline - px * 0.45);
            ctx.lineTo(cx + g * 0.9, baseline - px * 0.45);
        }
        ctx.stroke();
      }
      cx += w;
    }
    ctx.restore();
  }
}

export function font(px: number, family: string, ts: Typesetter): string {
  return ts.useFonts ? `${Math.round(px)}px "${family}"` : `${Math.round(px)}px sans-serif`;
}

/** Tight box of the non-transparent pixels of a canvas, or null when empty. */
function inkBounds(ctx: SKRSContext2D, w: number, h: number): Bbox | null {
  const d = ctx.getImageData(0, 0, w, h).data;
  let x1 = w,
    y1 = h,
    x2 = -1,
    y2 = -1;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const p = (y * w + x) * 4;
      const a = d[p + 3]!;
      if (a < 40) continue;
      // near-white opaque pixels are background, not ink
      if (d[p]! > 235 && d[p + 1]! > 235 && d[p + 2]! > 235) continue;
      if (x < x1) x1 = x;
      if (x > x2) x2 = x;
      if (y < y1) y1 = y;
      if (y > y2) y2 = y;
    }
  return x2 < 0 ? null : [x1, y1, x2 - x1 + 1, y2 - y1 + 1];
}

// ---------------------------------------------------------------- figure painters (draw inside w × h)

/** Paints a figure filling w × h; `bodyPx` is the page's body font size (labels are set in proportion to it). */
export type Painter = (
  ctx: SKRSContext2D,
  w: number,
  h: number,
  r: R,
  ts: Typesetter,
  words: string[],
  fam: string,
  bodyPx: number,
) => void;

const photo: Painter = (ctx, w, h, r) => {
  const g = ctx.createLinearGradient(0, 0, w * r(), h);
  const tint = r() < 0.5;
  const c = () =>
    tint
      ? `rgb(${(60 + r() * 160) | 0},${(60 + r() * 140) | 0},${(40 + r() * 140) | 0})`
      : `rgb(${((v) => `${v},${v},${v}`)((40 + r() * 180) | 0)})`;
  g.addColorStop(0, c());
  g.addColorStop(0.5, c());
  g.addColorStop(1, c());
  ctx.fillStyle = g;
  ctx.fillRect(0, 0, w, h);
  for (let i = 0; i < 40; i++) {
    ctx.globalAlpha = between(r, 0.15, 0.6);
    ctx.fillStyle = c();
    ctx.beginPath();
    ctx.ellipse(r() * w, r() * h, between(r, 0.03, 0.25) * w, between(r, 0.03, 0.25) * h, r() * 3, 0, 6.3);
    ctx.fill();
  }
  ctx.globalAlpha = 1;
  // a landscape: a pale sky over the upper part, brightest at the top edge
  if (r() < 0.4) {
    const horizon = between(r, 0.2, 0.45) * h;
    const sky = ctx.createLinearGradient(0, 0, 0, horizon);
    const v = 238 + Math.floor(r() * 12);
    sky.addColorStop(0, `rgb(${v},${v},${v})`);
    sky.addColorStop(1, `rgb(${v - 35},${v - 30},${v - 20})`);
    ctx.fillStyle = sky;
    ctx.fillRect(0, 0, w, horizon);
  }
  // fine texture
  const id = ctx.getImageData(0, 0, w, h);
  const rr = rng(Math.floor(r() * 1e9));
  const grain = between(r, 16, 50);
  for (let i = 0; i < id.data.length; i += 4) {
    const n = (rr() - 0.5) * grain;
    id.data[i] = Math.max(0, Math.min(255, id.data[i]! + n));
    id.data[i + 1] = Math.max(0, Math.min(255, id.data[i + 1]! + n));
    id.data[i + 2] = Math.max(0, Math.min(255, id.data[i + 2]! + n));
  }
  ctx.putImageData(id, 0, 0);
};

const chart: Painter = (ctx, w, h, r, ts, _words, fam, bodyPx) => {
  const px = Math.max(11, Math.min(bodyPx * 0.85, h / 12));
  ctx.font = font(px, fam, ts);
  ctx.fillStyle = ctx.strokeStyle = "rgb(25,25,25)";
  const left = px * 3,
    bottom = h - px * 2.2,
    top = px * 0.6,
    right = w - px * 0.6;
  ctx.lineWidth = Math.max(1.5, px / 10);
  ctx.beginPath();
  ctx.moveTo(left, top);
  ctx.lineTo(left, bottom);
  ctx.lineTo(right, bottom);
  ctx.stroke();
  const ny = 4 + Math.floor(r() * 3);
  for (let i = 0; i <= ny; i++) {
    const y = bottom - ((bottom - top) * i) / ny;
    ctx.beginPath();
    ctx.moveTo(left - px * 0.4, y);
    ctx.lineTo(left, y);
    ctx.stroke();
    ts.draw(ctx, String(i * pick(r, [5, 10, 20, 25, 50])), px * 0.3, y + px * 0.35, px, r);
  }
  const nx = 4 + Math.floor(r() * 6);
  const kind = pick(r, ["bars", "line", "points"]);
  let prev: [number, number] | null = null;
  for (let i = 0; i < nx; i++) {
    const x = left + ((right - left) * (i + 0.5)) / nx;
    const v = between(r, 0.15, 0.95) * (bottom - top);
    const lab = String(nx > 6 ? i + 1 : 1900 + i * 10);
    if (ts.width(ctx, lab, px) < ((right - left) / nx) * 0.9) ts.draw(ctx, lab, x - ts.width(ctx, lab, px) / 2, bottom + px * 1.4, px, r);
    if (kind === "bars") {
      ctx.fillStyle = pick(r, ["rgb(90,90,90)", "rgb(150,150,150)", "rgb(60,90,150)", "rgb(160,70,60)"]);
      ctx.fillRect(x - ((right - left) / nx) * 0.3, bottom - v, ((right - left) / nx) * 0.6, v);
      ctx.fillStyle = "rgb(25,25,25)";
    } else {
      ctx.beginPath();
      ctx.arc(x, bottom - v, px * 0.25, 0, 6.3);
      ctx.fill();
      if (kind === "line" && prev) {
        ctx.beginPath();
        ctx.moveTo(prev[0], prev[1]);
        ctx.lineTo(x, bottom - v);
        ctx.stroke();
      }
      prev = [x, bottom - v];
    }
  }
};

function drawTable(
  ctx: SKRSContext2D,
  w: number,
  h: number,
  r: R,
  ts: Typesetter,
  words: string[],
  fam: string,
  grid: boolean,
  bodyPx: number,
) {
  const px0 = bodyPx * between(r, 0.75, 1);
  const rows = Math.max(3, Math.round(h / (px0 * between(r, 1.5, 2.3))));
  const cols = 2 + Math.floor(r() * 3);
  const rh = h / rows;
  const px = Math.min(rh * 0.6, px0);
  ctx.font = font(px, fam, ts);
  ctx.fillStyle = ctx.strokeStyle = "rgb(25,25,25)";
  ctx.lineWidth = Math.max(1.2, px / 14);
  const line = (x1: number, y1: number, x2: number, y2: number, lw = ctx.lineWidth) => {
    ctx.save();
    ctx.lineWidth = lw;
    ctx.beginPath();
    ctx.moveTo(x1, y1);
    ctx.lineTo(x2, y2);
    ctx.stroke();
    ctx.restore();
  };
  const cw = w / cols;
  for (let i = 0; i <= rows; i++) {
    const y = Math.min(h - 1, Math.max(1, i * rh));
    if (grid || i === 0 || i === 1 || i === rows) line(0, y, w, y, !grid && i !== 1 ? ctx.lineWidth * 2 : ctx.lineWidth);
  }
  if (grid) for (let j = 0; j <= cols; j++) line(Math.min(w - 1, Math.max(1, j * cw)), 0, Math.min(w - 1, Math.max(1, j * cw)), h);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) {
      const s = i === 0 ? pick(r, words).slice(0, 10) : j === 0 ? pick(r, words).slice(0, 9) : (r() * 1000).toFixed(j === 1 ? 0 : 2);
      ts.draw(ctx, s, j * cw + px * 0.4, i * rh + rh * 0.5 + px * 0.35, px, r);
    }
}
const tableGrid: Painter = (ctx, w, h, r, ts, words, fam, px) => drawTable(ctx, w, h, r, ts, words, fam, true, px);
const tableRules: Painter = (ctx, w, h, r, ts, words, fam, px) => drawTable(ctx, w, h, r, ts, words, fam, false, px);

const map: Painter = (ctx, w, h, r, ts, words, fam, bodyPx) => {
  ctx.strokeStyle = "rgb(30,30,30)";
  ctx.lineWidth = 1.5;
  ctx.strokeRect(1, 1, w - 2, h - 2);
  const n = 4 + Math.floor(r() * 5);
  for (let k = 0; k < n; k++) {
    const cx = r() * w,
      cy = r() * h,
      rad = between(r, 0.12, 0.35) * Math.min(w, h);
    ctx.beginPath();
    for (let a = 0; a < 24; a++) {
      const ang = (a / 24) * Math.PI * 2;
      const rr = rad * between(r, 0.6, 1.2);
      const x = Math.max(2, Math.min(w - 2, cx + Math.cos(ang) * rr)),
        y = Math.max(2, Math.min(h - 2, cy + Math.sin(ang) * rr));
      if (a) ctx.lineTo(x, y);
      else ctx.moveTo(x, y);
    }
    ctx.closePath();
    ctx.fillStyle = pick(r, ["rgb(200,220,180)", "rgb(230,210,170)", "rgb(190,200,230)", "rgb(205,205,205)", "rgb(225,190,190)"]);
    ctx.fill();
    ctx.stroke();
  }
  ctx.setLineDash([6, 4]);
  for (let k = 0; k < 3; k++) {
    ctx.beginPath();
    ctx.moveTo(r() * w, 2);
    ctx.bezierCurveTo(r() * w, r() * h, r() * w, r() * h, r() * w, h - 2);
    ctx.stroke();
  }
  ctx.setLineDash([]);
  const px = Math.max(11, Math.min(bodyPx * 0.8, h / 14));
  ctx.font = font(px, fam, ts);
  ctx.fillStyle = "rgb(20,20,20)";
  for (let k = 0; k < 6; k++) {
    const x = between(r, 0.05, 0.7) * w,
      y = between(r, 0.1, 0.95) * h;
    ctx.fillRect(x - 3, y - px * 0.4 - 3, 6, 6);
    ts.draw(ctx, pick(r, words).slice(0, 10), x + 5, y, px, r);
  }
};

const lineDrawing: Painter = (ctx, w, h, r) => {
  ctx.strokeStyle = "rgb(25,25,25)";
  ctx.lineCap = "round";
  // a house-like outline with details, plus loose hatching
  ctx.lineWidth = between(r, 1.5, 3.5);
  ctx.beginPath();
  ctx.moveTo(w * 0.1, h * 0.98);
  ctx.lineTo(w * 0.1, h * 0.45);
  ctx.lineTo(w * 0.5, h * 0.02);
  ctx.lineTo(w * 0.9, h * 0.45);
  ctx.lineTo(w * 0.9, h * 0.98);
  ctx.closePath();
  ctx.stroke();
  for (let i = 0; i < 6; i++) ctx.strokeRect(between(r, 0.15, 0.7) * w, between(r, 0.5, 0.8) * h, w * 0.1, h * 0.12);
  ctx.lineWidth = 1;
  for (let i = 0; i < 60; i++) {
    const x = between(r, 0.02, 0.98) * w,
      y = between(r, 0.05, 0.98) * h;
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(x + between(r, -20, 20), y + between(r, -20, 20));
    ctx.stroke();
  }
  ctx.lineWidth = 2;
  for (let i = 0; i < 5; i++) {
    ctx.beginPath();
    ctx.moveTo(r() * w, r() * h);
    ctx.bezierCurveTo(r() * w, r() * h, r() * w, r() * h, r() * w, r() * h);
    ctx.stroke();
  }
};

const diagram: Painter = (ctx, w, h, r, ts, words, fam, bodyPx) => {
  const px = Math.max(11, Math.min(bodyPx * 0.85, h / 12));
  ctx.font = font(px, fam, ts);
  ctx.strokeStyle = ctx.fillStyle = "rgb(25,25,25)";
  ctx.lineWidth = 2;
  const levels = 2 + Math.floor(r() * 2);
  const boxes: [number, number, number, number][][] = [];
  for (let l = 0; l < levels; l++) {
    const n = l === 0 ? 1 + Math.floor(r() * 2) : 2 + Math.floor(r() * 3);
    const row: [number, number, number, number][] = [];
    const bh = Math.min(h / (levels * 2), px * 2.6);
    const y = l === levels - 1 ? h - bh - 1 : (h - bh) * (l / (levels - 1)) + 1;
    for (let i = 0; i < n; i++) {
      const bw = (w / n) * 0.75;
      const x = (w / n) * i + (w / n - bw) / 2;
      row.push([x, y, bw, bh]);
      ctx.strokeRect(x, y, bw, bh);
      ts.draw(ctx, pick(r, words).slice(0, 8), x + px * 0.4, y + bh / 2 + px * 0.35, px, r);
    }
    boxes.push(row);
  }
  for (let l = 1; l < levels; l++)
    for (const b of boxes[l]!) {
      const p = pick(r, boxes[l - 1]!);
      ctx.beginPath();
      ctx.moveTo(p[0] + p[2] / 2, p[1] + p[3]);
      ctx.lineTo(b[0] + b[2] / 2, b[1]);
      ctx.stroke();
    }
};

const geometric: Painter = (ctx, w, h, r, ts, _words, fam, bodyPx) => {
  const px = Math.max(11, Math.min(bodyPx * 0.85, h / 12));
  ctx.font = font(px, fam, ts);
  ctx.strokeStyle = ctx.fillStyle = "rgb(25,25,25)";
  ctx.lineWidth = 1.6;
  const pts: [number, number][] = [];
  for (let i = 0; i < 5; i++) pts.push([between(r, 0.08, 0.92) * w, between(r, 0.08, 0.92) * h]);
  ctx.beginPath();
  ctx.moveTo(...pts[0]!);
  for (const p of pts.slice(1, 3)) ctx.lineTo(...p);
  ctx.closePath();
  ctx.stroke();
  ctx.beginPath();
  const rad = Math.min(w, h) * 0.45;
  ctx.arc(w / 2, h / 2, rad, 0, 6.3);
  ctx.stroke();
  for (let i = 0; i < pts.length; i++) {
    const [x, y] = pts[i]!;
    ctx.beginPath();
    ctx.arc(x, y, 3, 0, 6.3);
    ctx.fill();
    ts.draw(ctx, "ABCDEFGH"[i]!, x + 5, y - 5, px, r);
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(w / 2, h / 2);
    ctx.stroke();
  }
};

const stampPainter = (ctx: SKRSContext2D, w: number, h: number, r: R, ts: Typesetter, words: string[], fam: string) => {
  const colour = pick(r, ["rgba(170,30,40,0.75)", "rgba(40,60,160,0.75)", "rgba(110,40,140,0.75)"]);
  ctx.strokeStyle = ctx.fillStyle = colour;
  ctx.lineWidth = 4;
  const round = r() < 0.5;
  if (round) {
    ctx.beginPath();
    ctx.ellipse(w / 2, h / 2, w / 2 - 3, h / 2 - 3, 0, 0, 6.3);
    ctx.stroke();
    ctx.beginPath();
    ctx.ellipse(w / 2, h / 2, w / 2 - 12, h / 2 - 12, 0, 0, 6.3);
    ctx.stroke();
  } else {
    ctx.strokeRect(3, 3, w - 6, h - 6);
    ctx.strokeRect(10, 10, w - 20, h - 20);
  }
  const px = h / 5;
  ctx.font = font(px, fam, ts);
  const s = pick(r, words).toUpperCase().slice(0, 9);
  ts.draw(ctx, s, w / 2 - ts.width(ctx, s, px) / 2, h / 2 + px * 0.35, px, r);
};

const vignette: Painter = (ctx, w, h, r) => {
  ctx.fillStyle = ctx.strokeStyle = "rgb(25,25,25)";
  ctx.lineWidth = between(r, 2.5, 5);
  const cx = w / 2,
    cy = h / 2;
  ctx.beginPath();
  ctx.ellipse(cx, cy, h * 0.22, h * 0.42, 0, 0, 6.3);
  ctx.fill();
  for (const s of [-1, 1]) {
    ctx.beginPath();
    ctx.moveTo(cx + s * h * 0.3, cy);
    ctx.bezierCurveTo(cx + s * w * 0.2, cy - h * 0.5, cx + s * w * 0.35, cy + h * 0.5, cx + s * (w / 2 - 2), cy);
    ctx.stroke();
    ctx.beginPath();
    ctx.arc(cx + s * w * 0.28, cy, h * 0.15, 0, 6.3);
    ctx.fill();
  }
};

/** A frieze: one ornament repeated along a band. */
const frieze: Painter = (ctx, w, h, r) => {
  ctx.fillStyle = ctx.strokeStyle = "rgb(25,25,25)";
  ctx.lineWidth = 2;
  const n = Math.max(6, Math.round(w / (h * 1.3)));
  const step = w / n;
  const style = Math.floor(r() * 3);
  for (let i = 0; i < n; i++) {
    const x = i * step + step / 2;
    ctx.beginPath();
    if (style === 0) {
      ctx.moveTo(x, 1);
      ctx.lineTo(x + step * 0.4, h / 2);
      ctx.lineTo(x, h - 1);
      ctx.lineTo(x - step * 0.4, h / 2);
      ctx.closePath();
      ctx.fill();
    } else if (style === 1) {
      ctx.arc(x, h / 2, h * 0.45, 0, 6.3);
      ctx.stroke();
      ctx.beginPath();
      ctx.arc(x, h / 2, h * 0.18, 0, 6.3);
      ctx.fill();
    } else {
      ctx.ellipse(x, h / 2, step * 0.4, h * 0.3, 0.5, 0, 6.3);
      ctx.fill();
    }
  }
};

async function picturePainter(asset: PictureAsset): Promise<Painter> {
  const img: Image = await loadImage(asset.path);
  return (ctx, w, h) => {
    ctx.fillStyle = "white";
    ctx.drawImage(img, 0, 0, w, h);
  };
}

// ---------------------------------------------------------------- page composition

interface FigurePlan {
  category: string;
  source: string;
  paint: Painter;
  /** width in columns (1 … columns) or a fraction of one column */
  aspect: number;
  widthFrac: number;
  span: boolean;
  caption?: { text: string; above: boolean };
}

interface Reserved {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  runIn?: boolean;
}

export async function synthPage(seed: number, opts: SynthOptions = {}): Promise<SynthPage> {
  const ciOnly = !!opts.ciOnly;
  const r = rng(seed * 7919 + 17);
  const fonts = bodyFonts(ciOnly);
  const ts = new Typesetter(fonts.length > 0);
  const face = fonts.length ? pick(r, fonts) : { family: "sans-serif", italic: "sans-serif" };
  const words = corpusWords(ciOnly);
  const assets = ciOnly ? [] : pictureAssets();
  const ext = !!opts.extended;
  const id = `${ciOnly ? "ci" : ext ? "ext" : "syn"}${opts.figureFree ? "_free" : ""}_${String(seed).padStart(3, "0")}`;

  const W = Math.round(between(r, 1640, 1720));
  const H = Math.round(between(r, 2340, 2440));
  const columns = pick(r, [1, 2, 2, 3, 3]);
  const fontPx = Math.round(between(r, columns === 3 ? 21 : 24, columns === 1 ? 36 : 31));
  const lineH = Math.round(fontPx * between(r, 1.2, 1.35));
  const mx = Math.round(W * between(r, 0.07, 0.1));
  const top = Math.round(H * between(r, 0.06, 0.08));
  const bottom = H - Math.round(H * between(r, 0.05, 0.07));
  const gutter = Math.round(W * between(r, 0.02, 0.035));
  const colW = (W - 2 * mx - gutter * (columns - 1)) / columns;
  const colX = (c: number) => mx + c * (colW + gutter);

  const page = createCanvas(W, H);
  const ctx = page.getContext("2d");
  ctx.fillStyle = "white";
  ctx.fillRect(0, 0, W, H);

  // figures: 0 on some pages
  const nFig = r() < 0.2 || opts.figureFree ? 0 : 1 + Math.floor(r() * 3);
  const kinds: [string, Painter, number, boolean][] = [
    // category, painter, aspect (w/h), may carry a caption
    ["Photograph", photo, between(r, 0.7, 1.6), true],
    ["Graph", chart, between(r, 1.1, 1.6), true],
    ["Table", tableGrid, between(r, 0.9, 1.8), true],
    ["Table", tableRules, between(r, 1, 2), true],
    ["Map", map, between(r, 0.9, 1.5), true],
    ["Image", lineDrawing, between(r, 0.8, 1.4), true],
    ["Diagram", diagram, between(r, 1.2, 2), true],
    ["Geometric drawing", geometric, between(r, 0.9, 1.3), true],
  ];
  if (ext)
    kinds.push(
      ["Floor plan", floorPlan, between(r, 1.1, 1.6), true],
      ["Other technical drawing", technicalDrawing, between(r, 1.2, 1.7), true],
      ["Map", outlineMap, between(r, 0.9, 1.4), true],
    );
  const plans: FigurePlan[] = [];
  let figNo = 1 + Math.floor(r() * 20);
  let tabNo = 1 + Math.floor(r() * 9);
  for (let i = 0; i < nFig; i++) {
    let category: string, paint: Painter, aspect: number, source: string;
    const u = r();
    if (u < 0.2 && assets.length) {
      const a = pick(r, assets);
      const img = await loadImage(a.path);
      category = a.category;
      paint = await picturePainter(a);
      aspect = img.width / img.height;
      source = a.source;
    } else {
      const k = pick(r, kinds);
      [category, paint, aspect] = k;
      source = `drawn ${k[1].name || category}`;
    }
    const span = columns > 1 && r() < 0.3;
    const widthFrac = between(r, 0.55, 0.95);
    let caption: FigurePlan["caption"];
    if (r() < 0.7) {
      const isTab = category === "Table";
      const label = isTab
        ? `${pick(r, ["Tab.", "Table", "Tab."])} ${tabNo++}`
        : `${pick(r, ["Fig.", "Obr.", "Figure", "Fig."])} ${figNo++}`;
      const n = 2 + Math.floor(r() * 5);
      const text =
        ext && !isTab
          ? namingCaption(category, label, r, words)
          : `${label}: ${Array.from({ length: n }, () => pick(r, words)).join(" ")}`.replace(/[.,;:]+$/, "");
      caption = { text, above: isTab ? r() < 0.7 : r() < 0.15 };
    }
    plans.push({ category, source, paint, aspect, widthFrac, span, caption });
  }
  // small decorations
  const decor: string[] = [];
  if (r() < 0.3) decor.push("Initial");
  if (r() < 0.2) decor.push(pick(r, ["Vignette", "Frieze"]));
  if (r() < (ext ? 0.4 : 0.2)) decor.push("Stamp");
  if (nFig === 0 && decor.length && r() < 0.6) decor.length = 0; // keep figure-free pages common
  if (opts.figureFree) decor.length = 0;

  const elements: GtElement[] = [];
  const reserved: Reserved[] = [];
  const capPx = Math.round(fontPx * 0.85);
  const overlaps = (a: Reserved, b: Reserved) => a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2;

  const placeFigure = async (plan: FigurePlan, fw: number, fh: number, x: number, y: number) => {
    const fc = createCanvas(Math.max(1, Math.round(fw)), Math.max(1, Math.round(fh)));
    const fctx = fc.getContext("2d");
    plan.paint(fctx, fc.width, fc.height, r, ts, words, face.family, fontPx);
    const b = inkBounds(fctx, fc.width, fc.height);
    if (!b) return;
    ctx.drawImage(fc, Math.round(x), Math.round(y));
    const el: GtElement = {
      category: plan.category,
      bbox: [Math.round(x) + b[0], Math.round(y) + b[1], b[2], b[3]],
      caption: null,
      source: plan.source,
    };
    elements.push(el);
    return el;
  };

  // 1. figures
  for (const plan of plans) {
    const c = plan.span ? 0 : Math.floor(r() * columns);
    const avail = plan.span ? W - 2 * mx : colW;
    let fw = avail * plan.widthFrac;
    let fh = fw / plan.aspect;
    const maxH = (bottom - top) * 0.42;
    if (fh > maxH) {
      fh = maxH;
      fw = fh * plan.aspect;
    }
    if (fh < 3 * fontPx) continue;
    const capH = plan.caption ? Math.ceil(capPx * 1.4 * 2) : 0;
    const x = colX(c) + (avail - fw) / 2;
    let placed = false;
    for (let attempt = 0; attempt < 20 && !placed; attempt++) {
      const y = top + lineH * 2 + r() * (bottom - top - fh - capH - lineH * 3);
      const res: Reserved = {
        x1: x - 4,
        y1: y - lineH * 0.9 - (plan.caption?.above ? capH : 0),
        x2: x + fw + 4,
        y2: y + fh + lineH * 0.9 + (plan.caption?.above ? 0 : capH),
      };
      if (reserved.some((q) => overlaps(q, { ...res, x1: res.x1 - gutter, x2: res.x2 + gutter }))) continue;
      const el = await placeFigure(plan, fw, fh, x, y);
      reserved.push({ ...res, x1: plan.span ? mx : colX(c), x2: plan.span ? W - mx : colX(c) + colW });
      placed = true;
      if (el && plan.caption) {
        ctx.font = font(capPx, face.italic ?? face.family, ts);
        ctx.fillStyle = ink(r);
        let text = plan.caption.text;
        while (ts.width(ctx, text, capPx) > avail && text.includes(" ")) text = text.slice(0, text.lastIndexOf(" "));
        const tw = ts.width(ctx, text, capPx);
        const cx = colX(c) + (avail - tw) / 2;
        const base = plan.caption.above ? el.bbox[1] - capPx * 0.7 : el.bbox[1] + el.bbox[3] + capPx * 1.5;
        ts.draw(ctx, text, cx, base, capPx, r);
        el.caption = text;
        el.caption_bbox = [Math.round(cx), Math.round(base - capPx * 0.8), Math.round(tw), Math.round(capPx * 1.05)];
      }
    }
  }
  // vignette / frieze between paragraphs
  for (const d of decor.filter((k) => k === "Vignette" || k === "Frieze")) {
    const c = Math.floor(r() * columns);
    const fw = d === "Frieze" ? colW * between(r, 0.6, 0.95) : Math.min(colW * 0.5, fontPx * between(r, 6, 10));
    const fh = d === "Frieze" ? fontPx * between(r, 0.9, 1.5) : fw / between(r, 2.5, 4);
    for (let attempt = 0; attempt < 20; attempt++) {
      const y = top + lineH * 3 + r() * (bottom - top - fh - lineH * 6);
      const x = colX(c) + (colW - fw) / 2;
      const res: Reserved = { x1: colX(c), y1: y - lineH, x2: colX(c) + colW, y2: y + fh + lineH };
      if (reserved.some((q) => overlaps(q, res))) continue;
      await placeFigure(
        {
          category: d,
          source: `drawn ${d.toLowerCase()}`,
          paint: d === "Frieze" ? frieze : vignette,
          aspect: 1,
          widthFrac: 1,
          span: false,
        },
        fw,
        fh,
        x,
        y,
      );
      reserved.push(res);
      break;
    }
  }
  // decorated initial at the top of a column
  let initial: { c: number; size: number; letter: string; colour: string; lines: number } | null = null;
  if (decor.includes("Initial")) {
    const lines = 2 + Math.floor(r() * 3);
    initial = {
      c: Math.floor(r() * columns),
      lines,
      size: lineH * lines,
      letter: pick(r, "ABDEHMNOPRSTW".split("")),
      colour: pick(r, ["rgb(25,25,25)", "rgb(160,30,30)", "rgb(30,50,140)"]),
    };
    // no drop cap where a figure already sits at the top of that column
    const c0 = initial.c;
    const spot: Reserved = { x1: colX(c0), y1: top, x2: colX(c0) + initial.size * 1.5, y2: top + initial.size * 1.4 };
    if (reserved.some((q) => overlaps(q, spot))) initial = null;
  }

  // 2. running head
  ctx.fillStyle = ink(r);
  ctx.font = font(fontPx * 0.8, face.italic ?? face.family, ts);
  const head = Array.from({ length: 3 + Math.floor(r() * 3) }, () => pick(r, words)).join(" ");
  ts.draw(ctx, head, W / 2 - ts.width(ctx, head, fontPx * 0.8) / 2, top - lineH * 1.4, fontPx * 0.8, r);
  ts.draw(ctx, String(10 + Math.floor(r() * 300)), W - mx - fontPx * 1.5, top - lineH * 1.4, fontPx * 0.8, r);
  if (r() < 0.5) {
    ctx.fillRect(mx, top - lineH * 1.1, W - 2 * mx, 1.5);
  }

  // page furniture that is text, not figures (a separate stream, so figure placement stays as it was)
  const rf = rng(seed * 104729 + 3);
  let footTop = bottom;
  if (rf() < 0.3) {
    // footnotes: a short rule and two lines of small type across the text block
    const fpx = fontPx * 0.75;
    footTop = bottom - Math.round(fpx * 3.4);
    ctx.fillStyle = ink(rf);
    ctx.fillRect(mx, footTop + fpx * 0.3, (W - 2 * mx) * between(rf, 0.15, 0.35), 1.5);
    ctx.font = font(fpx, face.family, ts);
    for (let k = 0; k < 2; k++) {
      let t = `${k + 1} `;
      while (ts.width(ctx, t, fpx) < (W - 2 * mx) * (k ? between(rf, 0.3, 0.9) : 0.97)) t += `${pick(rf, words)} `;
      ts.draw(ctx, t.trim(), mx, footTop + fpx * (1.6 + 1.2 * k), fpx, rf);
    }
  }
  // (a drop cap opens a column at its top, so such pages get no heading there)
  if (rf() < 0.3 && !initial && !reserved.some((q) => q.y1 < top + fontPx * 4)) {
    // a heading over the text block in large bold type
    const hpx = fontPx * between(rf, 1.5, 2.3);
    const bold = ts.useFonts && !ciOnly ? "Q1 Nimbus Bold" : ts.useFonts ? "Q1 DejaVu Serif Bold" : face.family;
    ctx.font = font(hpx, registerFonts().has(bold) ? bold : face.family, ts);
    ctx.fillStyle = ink(rf);
    const t = Array.from({ length: 2 + Math.floor(rf() * 3) }, () => pick(rf, words))
      .join(" ")
      .toUpperCase();
    ts.draw(ctx, t, W / 2 - ts.width(ctx, t, hpx) / 2, top + hpx * 0.9, hpx, rf);
    reserved.push({ x1: mx, y1: top - 2, x2: W - mx, y2: top + hpx * 1.6 });
  }
  if (columns > 1 && rf() < 0.3)
    // rules between the columns, interrupted where a figure spans them
    for (let c = 1; c < columns; c++) {
      const x = colX(c) - gutter / 2;
      let y = top;
      const end = footTop - lineH;
      const blocks = reserved.filter((q) => q.x1 < x && q.x2 > x).sort((p, q) => p.y1 - q.y1);
      for (const q of blocks) {
        if (q.y1 > y) ctx.fillRect(x, y, 1.3, Math.min(end, q.y1) - y);
        y = Math.max(y, q.y2);
      }
      if (y < end) ctx.fillRect(x, y, 1.3, end - y);
    }

  // 3. body text
  ctx.font = font(fontPx, face.family, ts);
  let wi = Math.floor(r() * words.length);
  const nextWord = () => words[wi++ % words.length]!;
  const space = ts.width(ctx, " ", fontPx) || fontPx * 0.3;
  for (let c = 0; c < columns; c++) {
    let y = top;
    let paraStart = true;
    let lineNo = 0;
    let initialRes: Reserved | null = null;
    if (initial && initial.c === c) {
      // starts a paragraph at the column top
      const size = initial.size * 0.95;
      ctx.save();
      ctx.font = font(size * 1.25, face.family, ts);
      ctx.fillStyle = initial.colour;
      const fc = createCanvas(Math.round(size * 1.4), Math.round(size * 1.3));
      const fctx = fc.getContext("2d");
      fctx.font = font(size * 1.25, face.family, ts);
      fctx.fillStyle = initial.colour;
      ts.draw(fctx, initial.letter, 2, size * 1.05, size * 1.25, r);
      const b = inkBounds(fctx, fc.width, fc.height);
      ctx.restore();
      if (b) {
        const ix = colX(c),
          iy = y + fontPx * 0.05;
        ctx.drawImage(fc, Math.round(ix - b[0]), Math.round(iy - b[1]));
        elements.push({ category: "Initial", bbox: [Math.round(ix), Math.round(iy), b[2], b[3]], caption: null, source: "drawn initial" });
        initialRes = { x1: ix, y1: iy, x2: ix + b[2] + fontPx * 0.5, y2: iy + b[3] + 2, runIn: true };
        paraStart = false;
      }
    }
    while (y + lineH <= footTop - (footTop < bottom ? lineH : 0)) {
      const band: Reserved = { x1: colX(c), y1: y, x2: colX(c) + colW, y2: y + lineH };
      const hit = reserved.find((q) => overlaps(q, band));
      if (hit) {
        y = Math.ceil(hit.y2);
        paraStart = r() < 0.5;
        continue;
      }
      let x0 = colX(c) + (paraStart ? fontPx * 1.5 : 0);
      if (initialRes && overlaps(initialRes, band)) x0 = initialRes.x2;
      const maxW = colX(c) + colW - x0;
      const lw: string[] = [];
      let used = 0;
      for (;;) {
        const w = nextWord();
        const ww = ts.width(ctx, w, fontPx);
        if (used + (lw.length ? space : 0) + ww > maxW) {
          wi--;
          break;
        }
        used += (lw.length ? space : 0) + ww;
        lw.push(w);
      }
      if (!lw.length) {
        wi++;
        y += lineH;
        continue;
      }
      const endPara = r() < 0.12;
      const extra = endPara || lw.length < 2 ? 0 : (maxW - used) / (lw.length - 1);
      ctx.fillStyle = ink(r);
      let x = x0;
      const base = y + fontPx * 0.95;
      for (const w of lw) {
        ts.draw(ctx, w, x, base, fontPx, r);
        x += ts.width(ctx, w, fontPx) + space + extra;
      }
      if (endPara && lineNo > 0) {
        paraStart = true;
      } else paraStart = false;
      lineNo++;
      y += lineH;
    }
  }

  // 4. stamp over text
  if (decor.includes("Stamp")) {
    const sw = fontPx * between(r, 7, 11);
    const sh = sw * between(r, 0.45, 0.9);
    const x = mx + r() * (W - 2 * mx - sw);
    const y = top + r() * (bottom - top - sh);
    const res: Reserved = { x1: x, y1: y, x2: x + sw, y2: y + sh };
    if (!reserved.some((q) => overlaps(q, res)))
      await placeFigure(
        { category: "Stamp", source: "drawn stamp", paint: stampPainter, aspect: 1, widthFrac: 1, span: false },
        sw,
        sh,
        x,
        y,
      );
  }

  // 4b. a handwritten note in the outer margin (own random stream: the rest of the page stays as without it)
  const rn = rng(seed * 7 + 99991);
  if (ext && !opts.figureFree && rn() < 0.4) {
    const nw = Math.min(mx - 16, fontPx * between(rn, 3.5, 6));
    const nh = fontPx * between(rn, 1.2, 3.2);
    const left = rn() < 0.5;
    const x = left ? between(rn, 14, Math.max(15, mx - nw - 10)) : W - mx + between(rn, 10, Math.max(11, mx - nw - 14));
    const y = top + rn() * (bottom - top - nh);
    if (nw > fontPx * 2)
      await placeFigure(
        {
          category: "Handwritten note",
          source: "drawn note",
          paint: (c, w, h, _r, t, ws, f) => handNote(c, w, h, rn, t, ws, face.italic ?? f),
          aspect: 1,
          widthFrac: 1,
          span: false,
        },
        nw,
        nh,
        x,
        y,
      );
  }

  // 5. scan: paper tone and uneven light, skew, noise, JPEG
  const skew = between(r, -1.5, 1.5);
  const out = createCanvas(W, H);
  const octx = out.getContext("2d");
  octx.fillStyle = "white";
  octx.fillRect(0, 0, W, H);
  octx.translate(W / 2, H / 2);
  octx.rotate((skew * Math.PI) / 180);
  octx.translate(-W / 2, -H / 2);
  octx.drawImage(page, 0, 0);
  octx.setTransform(1, 0, 0, 1, 0, 0);
  // paper: warm white to yellowed (r ≥ g ≥ b)
  const p0 = between(r, 228, 250);
  const paper = [p0, p0 - between(r, 2, 10), p0 - between(r, 8, 32)];
  const img = octx.getImageData(0, 0, W, H);
  const d = img.data;
  const nr = rng(seed * 31 + 5);
  const gx = between(r, -0.08, 0.08),
    gy = between(r, -0.08, 0.08);
  for (let y = 0, p = 0; y < H; y++)
    for (let x = 0; x < W; x++, p += 4) {
      const light = 1 + gx * (x / W - 0.5) + gy * (y / H - 0.5);
      const n = (nr() - 0.5) * 14;
      for (let k = 0; k < 3; k++) d[p + k] = Math.max(0, Math.min(255, (d[p + k]! / 255) * paper[k]! * light + n));
    }
  octx.putImageData(img, 0, 0);
  const q = Math.round(between(r, 60, 92));
  const jpeg = out.toBuffer("image/jpeg", q);

  // ground truth after the skew: bounding box of the rotated element box
  const a = (skew * Math.PI) / 180;
  const rot = ([x, y]: [number, number]): [number, number] => {
    const dx = x - W / 2,
      dy = y - H / 2;
    return [W / 2 + dx * Math.cos(a) - dy * Math.sin(a), H / 2 + dx * Math.sin(a) + dy * Math.cos(a)];
  };
  const rotBox = (b: Bbox): Bbox => {
    const pts = [rot([b[0], b[1]]), rot([b[0] + b[2], b[1]]), rot([b[0], b[1] + b[3]]), rot([b[0] + b[2], b[1] + b[3]])];
    const x1 = Math.max(0, Math.min(...pts.map((p) => p[0]))),
      y1 = Math.max(0, Math.min(...pts.map((p) => p[1])));
    const x2 = Math.min(W, Math.max(...pts.map((p) => p[0]))),
      y2 = Math.min(H, Math.max(...pts.map((p) => p[1])));
    return [Math.round(x1), Math.round(y1), Math.round(x2 - x1), Math.round(y2 - y1)];
  };
  for (const e of elements) {
    e.bbox = rotBox(e.bbox);
    if (e.caption_bbox) e.caption_bbox = rotBox(e.caption_bbox);
  }
  return {
    id,
    jpeg,
    gt: {
      page_id: id,
      image: `${id}.jpg`,
      width: W,
      height: H,
      language: "en",
      layout: {
        columns,
        font: face.family.replace(/^Q1 /, ""),
        font_px: fontPx,
        skew_deg: Math.round(skew * 1000) / 1000,
        jpeg_quality: q,
      },
      elements,
    },
  };
}

/** Write `count` pages (seeds seed … seed+count−1) as DIR/images/*.jpg + DIR/gt/*.json. */
export async function writeSet(dir: string, count: number, seed = 1, opts: SynthOptions = {}): Promise<SynthPage[]> {
  mkdirSync(join(dir, "images"), { recursive: true });
  mkdirSync(join(dir, "gt"), { recursive: true });
  const pages: SynthPage[] = [];
  for (let i = 0; i < count; i++) {
    const p = await synthPage(seed + i, opts);
    writeFileSync(join(dir, "images", `${p.id}.jpg`), p.jpeg);
    writeFileSync(join(dir, "gt", `${p.id}.json`), JSON.stringify(p.gt, null, 1));
    pages.push(p);
  }
  return pages;
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const opt = (n: string) => {
    const i = args.indexOf(n);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const out = opt("--out");
  if (!out) {
    console.error("usage: bun bench/synth-pages.ts --out DIR [--count 30] [--seed 1] [--ci] [--extended]");
    process.exit(2);
  }
  const pages = await writeSet(out, Number(opt("--count") ?? 30), Number(opt("--seed") ?? 1), {
    ciOnly: args.includes("--ci"),
    extended: args.includes("--extended"),
  });
  const cats = new Map<string, number>();
  for (const p of pages) for (const e of p.gt.elements) cats.set(e.category, (cats.get(e.category) ?? 0) + 1);
  console.log(
    `${pages.length} pages (${pages.filter((p) => !p.gt.elements.length).length} figure-free) in ${out}: ${[...cats].map(([c, n]) => `${c} ${n}`).join(", ")}`,
  );
}
