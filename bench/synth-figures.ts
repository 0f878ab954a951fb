/**
 * More figure kinds for bench/synth-pages.ts (`--extended`): the categories the dev set has one of or none —
 * floor plans, technical drawings, outline maps with a graticule — plus handwritten margin notes and captions that
 * name what the figure shows in English, Czech or German ("Plan of the first floor", "Řez strojem", "Karte des …").
 * Drawn with canvas primitives only: no picture of the dev or evaluation sets is used.
 */
import type { SKRSContext2D } from "@napi-rs/canvas";
import { between, font, pick, type Painter, type R, type Typesetter } from "./synth-pages.ts";

const INK = "rgb(25,25,25)";

/** A floor plan: thick outer walls, inner walls with door gaps and swings, windows, stairs, room names. */
export const floorPlan: Painter = (ctx, w, h, r, ts, _words, fam, bodyPx) => {
  const wall = Math.max(3, Math.round(Math.min(w, h) * between(r, 0.012, 0.022)));
  const m = wall;
  ctx.strokeStyle = ctx.fillStyle = INK;
  const double = r() < 0.5;
  const rect = (x: number, y: number, rw: number, rh: number) => {
    if (double) {
      ctx.lineWidth = 1.5;
      ctx.strokeRect(x, y, rw, rh);
      ctx.strokeRect(x + wall, y + wall, rw - 2 * wall, rh - 2 * wall);
    } else {
      ctx.lineWidth = wall;
      ctx.strokeRect(x + wall / 2, y + wall / 2, rw - wall, rh - wall);
    }
  };
  rect(m, m, w - 2 * m, h - 2 * m);
  // inner walls: one or two vertical, one or two horizontal, each with a door gap and its swing
  ctx.lineWidth = Math.max(2, wall * 0.6);
  const xs = [between(r, 0.3, 0.45) * w, ...(r() < 0.5 ? [between(r, 0.62, 0.75) * w] : [])];
  const ys = [between(r, 0.35, 0.6) * h, ...(r() < 0.4 ? [between(r, 0.75, 0.85) * h] : [])];
  const door = Math.min(w, h) * 0.09;
  for (const x of xs) {
    const gap = between(r, 0.15, 0.7) * h;
    ctx.beginPath();
    ctx.moveTo(x, m);
    ctx.lineTo(x, gap);
    ctx.moveTo(x, gap + door);
    ctx.lineTo(x, h - m);
    ctx.stroke();
    ctx.save();
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.arc(x, gap, door, 0, Math.PI / 2);
    ctx.stroke();
    ctx.restore();
  }
  for (const y of ys) {
    const gap = between(r, 0.1, 0.7) * w;
    ctx.beginPath();
    ctx.moveTo(m, y);
    ctx.lineTo(gap, y);
    ctx.moveTo(gap + door, y);
    ctx.lineTo(w - m, y);
    ctx.stroke();
  }
  // windows on the outer wall: three thin parallel lines
  ctx.lineWidth = 1;
  for (let k = 0; k < 3 + Math.floor(r() * 3); k++) {
    const along = between(r, 0.1, 0.8);
    const top = r() < 0.5;
    const len = Math.min(w, h) * 0.12;
    for (const d of [0.2, 0.5, 0.8]) {
      ctx.beginPath();
      if (top) {
        ctx.moveTo(along * w, m + d * wall);
        ctx.lineTo(along * w + len, m + d * wall);
      } else {
        ctx.moveTo(m + d * wall, along * h);
        ctx.lineTo(m + d * wall, along * h + len);
      }
      ctx.stroke();
    }
  }
  // stairs in one corner
  if (r() < 0.6) {
    const sx = w - m - w * 0.14,
      sy = h - m - h * 0.3;
    for (let k = 0; k < 9; k++) {
      ctx.beginPath();
      ctx.moveTo(sx, sy + (k * h * 0.3) / 9);
      ctx.lineTo(w - m - wall, sy + (k * h * 0.3) / 9);
      ctx.stroke();
    }
  }
  const px = Math.max(10, Math.min(bodyPx * 0.6, h / 18));
  ctx.font = font(px, fam, ts);
  const names = ["KITCHEN", "HALL", "BEDROOM", "LIVING ROOM", "BATH", "KUCHYNĚ", "POKOJ", "ZIMMER", "KÜCHE", "STUDY"];
  for (let k = 0; k < 3 + Math.floor(r() * 2); k++) {
    const s = pick(r, names);
    ts.draw(ctx, s, between(r, 0.12, 0.6) * w, between(r, 0.15, 0.9) * h, px, r);
  }
};

/** A technical drawing: machine parts with holes, centre lines, a hatched section, a gear and dimension lines. */
export const technicalDrawing: Painter = (ctx, w, h, r, ts, _words, fam, bodyPx) => {
  ctx.strokeStyle = ctx.fillStyle = INK;
  const px = Math.max(10, Math.min(bodyPx * 0.6, h / 16));
  ctx.font = font(px, fam, ts);
  // part 1: a plate with holes (left half)
  const pw = w * between(r, 0.35, 0.45),
    ph = h * between(r, 0.45, 0.6);
  const px0 = w * 0.05,
    py0 = h * 0.12;
  ctx.lineWidth = 2;
  ctx.strokeRect(px0, py0, pw, ph);
  for (let k = 0; k < 2 + Math.floor(r() * 3); k++) {
    const cx = px0 + between(r, 0.2, 0.8) * pw,
      cy = py0 + between(r, 0.2, 0.8) * ph,
      rad = Math.min(pw, ph) * between(r, 0.06, 0.12);
    ctx.lineWidth = 1.6;
    ctx.beginPath();
    ctx.arc(cx, cy, rad, 0, 6.3);
    ctx.stroke();
    ctx.lineWidth = 0.8;
    ctx.setLineDash([8, 3, 2, 3]);
    ctx.beginPath();
    ctx.moveTo(cx - rad * 1.6, cy);
    ctx.lineTo(cx + rad * 1.6, cy);
    ctx.moveTo(cx, cy - rad * 1.6);
    ctx.lineTo(cx, cy + rad * 1.6);
    ctx.stroke();
    ctx.setLineDash([]);
  }
  // dimension line under the plate
  const dy = py0 + ph + h * 0.08;
  ctx.lineWidth = 0.8;
  ctx.beginPath();
  ctx.moveTo(px0, py0 + ph + 3);
  ctx.lineTo(px0, dy + 6);
  ctx.moveTo(px0 + pw, py0 + ph + 3);
  ctx.lineTo(px0 + pw, dy + 6);
  ctx.moveTo(px0, dy);
  ctx.lineTo(px0 + pw, dy);
  ctx.stroke();
  for (const [x, s] of [
    [px0, 1],
    [px0 + pw, -1],
  ] as const) {
    ctx.beginPath();
    ctx.moveTo(x, dy);
    ctx.lineTo(x + s * 10, dy - 3);
    ctx.lineTo(x + s * 10, dy + 3);
    ctx.fill();
  }
  ts.draw(ctx, String(20 + Math.floor(r() * 180)), px0 + pw / 2 - px, dy - 4, px, r);
  // part 2: a gear (right top)
  const gx = w * between(r, 0.68, 0.75),
    gy = h * between(r, 0.3, 0.4),
    gr = Math.min(w * 0.2, h * 0.25);
  const teeth = 10 + Math.floor(r() * 8);
  ctx.lineWidth = 1.8;
  ctx.beginPath();
  for (let k = 0; k <= teeth * 4; k++) {
    const a = (k / (teeth * 4)) * Math.PI * 2;
    const rr = k % 4 < 2 ? gr : gr * 0.85;
    const x = gx + Math.cos(a) * rr,
      y = gy + Math.sin(a) * rr;
    if (k) ctx.lineTo(x, y);
    else ctx.moveTo(x, y);
  }
  ctx.stroke();
  ctx.beginPath();
  ctx.arc(gx, gy, gr * 0.25, 0, 6.3);
  ctx.stroke();
  // part 3: a hatched section (right bottom)
  const sx = w * 0.55,
    sy = h * 0.7,
    sw = w * 0.38,
    sh = h * 0.22;
  ctx.strokeRect(sx, sy, sw, sh);
  ctx.save();
  ctx.beginPath();
  ctx.rect(sx, sy, sw, sh);
  ctx.clip();
  ctx.lineWidth = 0.8;
  for (let t = -sh; t < sw; t += 7) {
    ctx.beginPath();
    ctx.moveTo(sx + t, sy + sh);
    ctx.lineTo(sx + t + sh, sy);
    ctx.stroke();
  }
  ctx.restore();
  ctx.fillStyle = "white";
  ctx.fillRect(sx + sw * 0.3, sy - 1, sw * 0.2, sh + 2);
  ctx.fillStyle = INK;
  ctx.strokeRect(sx + sw * 0.3, sy, sw * 0.2, sh);
  // part labels with leader lines
  for (const [x, y] of [
    [px0 + pw, py0],
    [gx + gr, gy - gr],
    [sx + sw, sy + sh],
  ] as const) {
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(Math.min(w - px * 2, x + 18), Math.max(px, y - 14));
    ctx.stroke();
    ts.draw(ctx, String(1 + Math.floor(r() * 9)), Math.min(w - px * 1.5, x + 20), Math.max(px, y - 14), px, r);
  }
};

/** An outline map: coastlines and islands, a graticule, a barred frame, rivers, towns with names. */
export const outlineMap: Painter = (ctx, w, h, r, ts, words, fam, bodyPx) => {
  ctx.strokeStyle = ctx.fillStyle = INK;
  // sea tint on some maps
  if (r() < 0.4) {
    ctx.fillStyle = pick(r, ["rgb(215,228,240)", "rgb(226,226,226)"]);
    ctx.fillRect(0, 0, w, h);
  }
  const blob = (cx: number, cy: number, rad: number, fill: string) => {
    ctx.beginPath();
    const n = 60;
    let rr = rad;
    for (let a = 0; a <= n; a++) {
      rr = Math.max(rad * 0.5, Math.min(rad * 1.3, rr + between(r, -0.09, 0.09) * rad));
      const ang = (a / n) * Math.PI * 2;
      const x = cx + Math.cos(ang) * rr,
        y = cy + Math.sin(ang) * rr * 0.8;
      if (a) ctx.lineTo(x, y);
      else ctx.moveTo(x, y);
    }
    ctx.closePath();
    ctx.fillStyle = fill;
    ctx.fill();
    ctx.lineWidth = 1.2;
    ctx.stroke();
  };
  const land = pick(r, ["white", "rgb(238,232,214)", "rgb(222,235,210)"]);
  blob(w * between(r, 0.35, 0.6), h * between(r, 0.4, 0.6), Math.min(w, h) * 0.42, land);
  for (let k = 0; k < 2 + Math.floor(r() * 4); k++) blob(r() * w, r() * h, Math.min(w, h) * between(r, 0.04, 0.1), land);
  // graticule
  ctx.lineWidth = 0.6;
  ctx.strokeStyle = "rgb(90,90,90)";
  const nx = 3 + Math.floor(r() * 3),
    ny = 3 + Math.floor(r() * 3);
  for (let k = 1; k < nx; k++) {
    ctx.beginPath();
    ctx.moveTo((k * w) / nx, 0);
    ctx.quadraticCurveTo((k * w) / nx + between(r, -8, 8), h / 2, (k * w) / nx, h);
    ctx.stroke();
  }
  for (let k = 1; k < ny; k++) {
    ctx.beginPath();
    ctx.moveTo(0, (k * h) / ny);
    ctx.quadraticCurveTo(w / 2, (k * h) / ny + between(r, -10, 10), w, (k * h) / ny);
    ctx.stroke();
  }
  // rivers
  ctx.strokeStyle = pick(r, [INK, "rgb(40,70,150)"]);
  ctx.lineWidth = 1;
  for (let k = 0; k < 2; k++) {
    ctx.beginPath();
    let x = w * between(r, 0.3, 0.7),
      y = h * between(r, 0.3, 0.7);
    ctx.moveTo(x, y);
    for (let s = 0; s < 12; s++) {
      x += between(r, -14, 14);
      y += between(r, 4, 12);
      ctx.lineTo(x, y);
    }
    ctx.stroke();
  }
  // barred frame
  ctx.strokeStyle = ctx.fillStyle = INK;
  ctx.lineWidth = 1;
  const bar = 5;
  ctx.strokeRect(0.5, 0.5, w - 1, h - 1);
  ctx.strokeRect(bar, bar, w - 2 * bar, h - 2 * bar);
  const seg = Math.max(20, w / 12);
  for (let x = bar, k = 0; x < w - bar; x += seg, k++)
    if (k % 2 === 0) {
      ctx.fillRect(x, 0, Math.min(seg, w - bar - x), bar);
      ctx.fillRect(x, h - bar, Math.min(seg, w - bar - x), bar);
    }
  for (let y = bar, k = 0; y < h - bar; y += seg, k++)
    if (k % 2 === 0) {
      ctx.fillRect(0, y, bar, Math.min(seg, h - bar - y));
      ctx.fillRect(w - bar, y, bar, Math.min(seg, h - bar - y));
    }
  // towns
  const px = Math.max(10, Math.min(bodyPx * 0.6, h / 18));
  ctx.font = font(px, fam, ts);
  for (let k = 0; k < 4 + Math.floor(r() * 5); k++) {
    const x = between(r, 0.15, 0.7) * w,
      y = between(r, 0.15, 0.85) * h;
    ctx.beginPath();
    ctx.arc(x, y, 2.5, 0, 6.3);
    ctx.fill();
    const name = pick(r, words)
      .replace(/[^A-Za-z]/g, "")
      .slice(0, 9);
    if (name) ts.draw(ctx, name[0]!.toUpperCase() + name.slice(1), x + 5, y + px * 0.35, px, r);
  }
};

/** A short handwritten note: a few words in a pen colour, thin, slanted, uneven baseline. */
export function handNote(ctx: SKRSContext2D, w: number, h: number, r: R, ts: Typesetter, words: string[], fam: string): void {
  ctx.fillStyle = ctx.strokeStyle = pick(r, ["rgb(40,55,140)", "rgb(70,70,75)", "rgb(110,70,40)", "rgb(30,30,90)"]);
  const lines = Math.max(1, Math.floor(h / 28));
  const px = h / (lines * 1.3);
  ctx.font = font(px, fam, ts);
  for (let k = 0; k < lines; k++) {
    ctx.save();
    ctx.translate(2, px * (1 + 1.25 * k));
    ctx.rotate(between(r, -0.08, 0.04));
    let s = pick(r, words).toLowerCase();
    while (ts.width(ctx, `${s} ${words[0]}`, px) < w * 0.8 && s.length < 30) s += ` ${pick(r, words).toLowerCase()}`;
    ts.draw(ctx, s, 0, 0, px, r);
    ctx.restore();
  }
}

const PHRASES: Record<string, string[]> = {
  Map: [
    "Map of the {w} district",
    "Mapa okolí {w}",
    "Karte des {w}",
    "Mapa kraje",
    "Übersichtskarte",
    "Map {n}",
    "Plan of the town",
    "Mapy pobřeží",
  ],
  "Floor plan": [
    "Plan of the first floor",
    "Ground floor",
    "Půdorys přízemí",
    "Grundriss des Erdgeschosses",
    "Plán patra",
    "Floor plan of the {w} house",
  ],
  "Other technical drawing": [
    "Section through the {w}",
    "Řez strojem",
    "Technische Zeichnung der {w}",
    "The machine, side elevation",
    "Gear and plate",
    "Výkres součásti",
  ],
  Diagram: ["Diagram of the {w}", "Schéma zapojení", "Schema der Anlage", "Flow of the {w}", "Family tree", "Schéma procesu"],
  Graph: ["Graph of the {w}", "Graf vývoje", "Diagramm der Werte", "Chart of yearly counts", "Statistics of {w}", "Rozložení hodnot"],
  "Geometric drawing": [
    "Construction of the tangent",
    "Trojúhelník a kružnice",
    "Kreis und Tangente",
    "Angles in a circle",
    "Konstrukce osy úhlu",
  ],
  Photograph: ["Photograph of the {w}", "Fotografie {w}", "Aufnahme des {w}", "Snímek krajiny"],
};

/** Caption text for a figure: "<label>: <phrase naming it>" (most of the time) or random words. */
export function namingCaption(category: string, label: string, r: R, words: string[]): string {
  const list = PHRASES[category];
  const filler = () => Array.from({ length: 2 + Math.floor(r() * 4) }, () => pick(r, words)).join(" ");
  if (!list || r() < 0.25) return `${label}: ${filler()}`.replace(/[.,;:]+$/, "");
  const phrase = pick(r, list)
    .replace("{w}", pick(r, words).replace(/[^A-Za-z]/g, "") || "river")
    .replace("{n}", String(1 + Math.floor(r() * 9)));
  return `${label}${pick(r, [":", ".", ""])} ${phrase}`;
}
