/** Scanned-looking test pages for the detector tests: text columns, figures drawn in given boxes, captions. */
import { createCanvas, type SKRSContext2D } from "@napi-rs/canvas";
import type { Box, DetectedElement, TextLineHint } from "../../src/processor/detect/index.ts";
import { toGrey } from "../../src/media/index.ts";
import { rng } from "../../bench/synth-pages.ts";

export const WORDS =
  "and the of to in that he shall unto for his they be is with not all thou which him them were said lord house king people land upon".split(
    " ",
  );

export interface Drawn {
  page: { grey: Uint8Array; rgba: Uint8ClampedArray; width: number; height: number };
  lines: TextLineHint[];
}

export interface PageSpec {
  seed: number;
  /** boxes kept free of text (figures are drawn there) */
  figures?: {
    box: Box;
    draw: (ctx: SKRSContext2D, b: Box, r: () => number) => void;
    captionBelow?: string;
    captionAbove?: string;
    /** text runs on to the right of the figure (a drop cap) instead of leaving its rows free */
    runIn?: boolean;
  }[];
  text?: boolean;
  width?: number;
  height?: number;
}

/** A scanned-looking page: tinted, unevenly lit paper with noise; two justified text columns; figures in their boxes. */
export function drawPage(spec: PageSpec): Drawn {
  const width = spec.width ?? 1200;
  const height = spec.height ?? 1700;
  const r = rng(spec.seed);
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext("2d");
  const grad = ctx.createRadialGradient(width / 2, height / 2, 100, width / 2, height / 2, height * 0.8);
  grad.addColorStop(0, "rgb(238,232,214)");
  grad.addColorStop(1, "rgb(214,206,186)");
  ctx.fillStyle = grad;
  ctx.fillRect(0, 0, width, height);
  const lines: TextLineHint[] = [];
  const figures = spec.figures ?? [];
  const blocked = (y1: number, y2: number, x1: number, x2: number) =>
    figures.some((f) => {
      const pad = f.runIn ? 0 : 70;
      return !f.runIn && y2 > f.box.y1 - pad && y1 < f.box.y2 + pad && x2 > f.box.x1 && x1 < f.box.x2;
    });
  const indent = (y1: number, y2: number, x1: number) => {
    const f = figures.find((f) => f.runIn && y2 > f.box.y1 && y1 < f.box.y2 && x1 < f.box.x2 && x1 >= f.box.x1 - 5);
    return f ? f.box.x2 + 12 : x1;
  };
  ctx.fillStyle = "rgb(25,22,20)";
  ctx.font = "22px DejaVu Serif";
  if (spec.text !== false) {
    const cols = [
      [90, 570],
      [630, 1110],
    ] as const;
    for (const [cx1, cx2] of cols) {
      for (let y = 110; y < height - 110; y += 34) {
        if (blocked(y - 24, y + 8, cx1, cx2)) continue;
        const start = indent(y - 24, y + 8, cx1);
        let x = start;
        const words: string[] = [];
        while (true) {
          const w = WORDS[Math.floor(r() * WORDS.length)]!;
          const wWidth = ctx.measureText(`${w} `).width;
          if (x + wWidth > cx2) break;
          words.push(w);
          x += wWidth;
        }
        const text = words.join(" ");
        ctx.fillText(text, start, y);
        lines.push({ bbox: { x1: start, y1: y - 18, x2: Math.round(start + ctx.measureText(text).width), y2: y + 6 }, text });
      }
    }
  }
  for (const f of figures) {
    f.draw(ctx, f.box, r);
    ctx.fillStyle = "rgb(25,22,20)";
    ctx.font = "italic 20px DejaVu Serif";
    for (const [cap, y] of [
      [f.captionBelow, f.box.y2 + 32],
      [f.captionAbove, f.box.y1 - 14],
    ] as const) {
      if (!cap) continue;
      const w = ctx.measureText(cap).width;
      const x = Math.round((f.box.x1 + f.box.x2 - w) / 2);
      ctx.fillText(cap, x, y);
      lines.push({ bbox: { x1: x, y1: y - 17, x2: Math.round(x + w), y2: y + 5 }, text: cap });
    }
    ctx.font = "22px DejaVu Serif";
  }
  // sensor noise
  const img = ctx.getImageData(0, 0, width, height);
  const d = img.data;
  for (let i = 0; i < d.length; i += 4) {
    const n = (r() - 0.5) * 14;
    d[i] = d[i]! + n;
    d[i + 1] = d[i + 1]! + n;
    d[i + 2] = d[i + 2]! + n;
  }
  const grey = toGrey({ width, height, data: d });
  return { page: { grey: grey.data, rgba: d, width, height }, lines };
}

/** Continuous-tone "photograph": smooth blobs of light and shade with fine texture. */
export function drawPhoto(ctx: SKRSContext2D, b: Box, r: () => number) {
  const w = b.x2 - b.x1;
  const h = b.y2 - b.y1;
  const g = ctx.createLinearGradient(b.x1, b.y1, b.x2, b.y2);
  g.addColorStop(0, "rgb(70,80,95)");
  g.addColorStop(1, "rgb(150,140,120)");
  ctx.fillStyle = g;
  ctx.fillRect(b.x1, b.y1, w, h);
  ctx.save();
  ctx.beginPath();
  ctx.rect(b.x1, b.y1, w, h);
  ctx.clip();
  for (let i = 0; i < 120; i++) {
    const v = Math.floor(40 + r() * 170);
    ctx.fillStyle = `rgba(${v},${v},${v},0.35)`;
    ctx.beginPath();
    ctx.ellipse(b.x1 + r() * w, b.y1 + r() * h, 10 + r() * 60, 8 + r() * 40, r() * 3, 0, Math.PI * 2);
    ctx.fill();
  }
  ctx.restore();
}

/** A ruled table: full grid, numbers in the cells. */
export function drawTable(ctx: SKRSContext2D, b: Box, r: () => number) {
  const rows = 8;
  const cols = 3;
  const w = b.x2 - b.x1;
  const h = b.y2 - b.y1;
  ctx.strokeStyle = "rgb(30,30,30)";
  ctx.lineWidth = 2;
  for (let i = 0; i <= rows; i++) {
    ctx.beginPath();
    ctx.moveTo(b.x1, b.y1 + (i * h) / rows);
    ctx.lineTo(b.x2, b.y1 + (i * h) / rows);
    ctx.stroke();
  }
  for (let j = 0; j <= cols; j++) {
    ctx.beginPath();
    ctx.moveTo(b.x1 + (j * w) / cols, b.y1);
    ctx.lineTo(b.x1 + (j * w) / cols, b.y2);
    ctx.stroke();
  }
  ctx.fillStyle = "rgb(25,22,20)";
  ctx.font = "18px DejaVu Serif";
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++)
      ctx.fillText(String(Math.floor(r() * 9000 + 100)), b.x1 + (j * w) / cols + 14, b.y1 + ((i + 0.7) * h) / rows);
}

/** A line chart: axes with tick marks and value labels, a polyline, thin lines. */
export function drawGraph(ctx: SKRSContext2D, b: Box, r: () => number) {
  const ox = b.x1 + 60;
  const oy = b.y2 - 40;
  ctx.strokeStyle = "rgb(20,20,20)";
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.moveTo(ox, b.y1);
  ctx.lineTo(ox, oy);
  ctx.lineTo(b.x2, oy);
  ctx.stroke();
  ctx.fillStyle = "rgb(20,20,20)";
  ctx.font = "16px DejaVu Sans";
  for (let i = 0; i <= 5; i++) {
    const x = ox + ((b.x2 - ox - 10) * i) / 5;
    ctx.fillRect(x - 1, oy, 2, 8);
    ctx.fillText(String(1990 + 5 * i), x - 18, oy + 28);
    const y = oy - ((oy - b.y1 - 10) * i) / 5;
    ctx.fillRect(ox - 8, y - 1, 8, 2);
    ctx.fillText(String(20 * i), b.x1 + 4, y + 6);
  }
  ctx.lineWidth = 2.5;
  ctx.beginPath();
  for (let i = 0; i <= 20; i++) {
    const x = ox + ((b.x2 - ox - 10) * i) / 20;
    const y = oy - 20 - (oy - b.y1 - 40) * (0.5 + 0.4 * Math.sin(i / 3) * (0.7 + 0.3 * r()));
    if (i) ctx.lineTo(x, y);
    else ctx.moveTo(x, y);
  }
  ctx.stroke();
}

/** A faint geometric line drawing: circles and chords in thin grey strokes. */
export function drawLineArt(ctx: SKRSContext2D, b: Box) {
  ctx.strokeStyle = "rgb(120,120,120)";
  ctx.lineWidth = 1.2;
  const cx = (b.x1 + b.x2) / 2;
  const cy = (b.y1 + b.y2) / 2;
  const rad = Math.min(b.x2 - b.x1, b.y2 - b.y1) / 2 - 4;
  for (const k of [1, 0.6]) {
    ctx.beginPath();
    ctx.arc(cx, cy, rad * k, 0, Math.PI * 2);
    ctx.stroke();
  }
  for (let i = 0; i < 6; i++) {
    const a1 = (i * Math.PI) / 3;
    const a2 = a1 + (2 * Math.PI) / 3;
    ctx.beginPath();
    ctx.moveTo(cx + rad * Math.cos(a1), cy + rad * Math.sin(a1));
    ctx.lineTo(cx + rad * Math.cos(a2), cy + rad * Math.sin(a2));
    ctx.stroke();
  }
}

export function iou(a: Box, b: Box): number {
  const w = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const h = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (w <= 0 || h <= 0) return 0;
  const i = w * h;
  return i / ((a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - i);
}

export function best(els: DetectedElement[], b: Box): DetectedElement | undefined {
  return [...els].sort((p, q) => iou(q.bbox, b) - iou(p.bbox, b))[0];
}

export const PHOTO: Box = { x1: 300, y1: 300, x2: 900, y2: 700 };
export const TABLE: Box = { x1: 150, y1: 1050, x2: 550, y2: 1400 };
