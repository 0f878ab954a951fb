import { INK_LEVEL, Kind, TONE_LEVEL, type PageAnalysis } from "./analysis.ts";
import { contains } from "./boxes.ts";
import type { Component } from "./components.ts";
import type { Box } from "./types.ts";
import { strokeStats, type StrokeStats } from "./strokes.ts";

/** Measurements of one candidate region (analysis scale) that the classifier decides on. */
export interface RegionFeatures extends StrokeStats {
  width: number;
  height: number;
  /** width and height in glyph heights */
  wG: number;
  hG: number;
  inkFrac: number;
  toneFrac: number;
  /** pixels in the mid-tone band (neither ink-black nor paper) */
  midFrac: number;
  /** coloured-ink pixels / ink+tone pixels (0 without colour input) */
  colourFrac: number;
  /** long horizontal / vertical ink lines (≥ 70 % of the region's width / height), relative positions 0–1 */
  hLines: number[];
  vLines: number[];
  /** labels along chart axes: distinct positions of small components just below the lowest and just left of the
   *  leftmost line that spans ≥ 55 % of the region (0 when there is no such line) */
  labelsBelowAxis: number;
  labelsLeftOfAxis: number;
  /** union of the region and those axis labels (a chart's box includes its value labels) */
  withAxisLabels: Box;
  /** components inside by kind */
  textComps: number;
  smallComps: number;
  bigComps: number;
  /** area of the largest component / all ink in the region */
  largestShare: number;
  /** 0–1 left/right mirror agreement of the ink */
  symmetry: number;
  /** components at least half as tall as the region (glyphs of an ornament row, a drop cap) and the
   *  coefficient of variation of their ink areas (low = repeated identical pieces) */
  tallComps: number;
  tallAreaCv: number;
  /** share of the tall components whose shape (8×8 occupancy) nearly equals another one's: repeated ornaments */
  tallRepeat: number;
  /** median horizontal gap between neighbouring tall components / their median height (type ≈ 0.1–0.4) */
  tallGapRatio: number;
  /** text lines that start just right of the region (within three glyph heights) and overlap it vertically (a drop cap's lines) */
  linesRight: number;
  /** text lines overlapping the region's band to the left or right (the region sits inside a text column) */
  linesBeside: number;
  /** share of the region covered by text-line boxes (running text passing through it) */
  textCover: number;
  /** text lines of three or more glyphs lying wholly inside the region: words (names, labels), not lone digits */
  wordsInside: number;
}

function longLines(a: PageAnalysis, b: Box, horizontal: boolean, frac: number): number[] {
  const len = horizontal ? b.x2 - b.x1 : b.y2 - b.y1;
  const span = horizontal ? b.y2 - b.y1 : b.x2 - b.x1;
  const need = frac * len;
  const hits: number[] = [];
  const drift = new Int32Array(len);
  for (let s = 0; s < len; s++) drift[s] = Math.round(a.skew * (s - len / 2));
  for (let t = 0; t < span; t++) {
    let best = 0;
    let run = 0;
    let gapRun = 0;
    for (let s = 0; s < len; s++) {
      // follow the page skew; a band of three rows/columns tolerates what is left of it
      const d = drift[s]!;
      const x = horizontal ? b.x1 + s : b.x1 + t - d;
      const y = horizontal ? b.y1 + t + d : b.y1 + s;
      if (x < 0 || y < 0 || x >= a.width || y >= a.height) {
        run = 0;
        gapRun = 0;
        continue;
      }
      const p = y * a.width + x;
      const step = horizontal ? a.width : 1;
      const lo = horizontal ? y > 0 : x > 0;
      const hi = horizontal ? y < a.height - 1 : x < a.width - 1;
      if (a.ink[p] || (lo && a.ink[p - step]) || (hi && a.ink[p + step])) {
        run += 1 + gapRun;
        gapRun = 0;
        if (run > best) best = run;
      } else if (run > 0 && gapRun < 2) gapRun++;
      else {
        run = 0;
        gapRun = 0;
      }
    }
    if (best >= need) hits.push(t);
  }
  // adjacent positions are one line
  const lines: number[] = [];
  for (const t of hits)
    if (!lines.length || t - lines[lines.length - 1]! > 2) lines.push(t);
    else lines[lines.length - 1] = t;
  return lines.map((t) => t / Math.max(1, span));
}

export function measure(a: PageAnalysis, b: Box): RegionFeatures {
  const width = b.x2 - b.x1;
  const height = b.y2 - b.y1;
  let ink = 0;
  let tone = 0;
  let mid = 0;
  let colour = 0;
  let sym = 0;
  let symN = 0;
  for (let y = b.y1; y < b.y2; y++) {
    const row = y * a.width;
    for (let x = b.x1; x < b.x2; x++) {
      const v = a.norm[row + x]!;
      if (v <= INK_LEVEL) ink++;
      if (v <= TONE_LEVEL) {
        tone++;
        if (a.colour?.[row + x]) colour++;
      }
      if (v > 60 && v < 200) mid++;
    }
    for (let x = b.x1, m = b.x2 - 1; x < m; x++, m--) {
      const p = a.ink[row + x]!;
      const q = a.ink[row + m]!;
      if (p || q) {
        symN++;
        if (p && q) sym++;
      }
    }
  }
  let textComps = 0;
  let smallComps = 0;
  let bigComps = 0;
  let largest = 0;
  let inkInComps = 0;
  const tallAreas: number[] = [];
  const tall: Component[] = [];
  for (const c of a.comps) {
    if (!contains(b, { x1: c.x1, y1: c.y1, x2: c.x2, y2: c.y2 })) continue;
    const k = a.kinds[c.id]!;
    if (k === Kind.Text) textComps++;
    else if (k === Kind.Big) bigComps++;
    else if (k === Kind.Small) smallComps++;
    inkInComps += c.area;
    if (c.y2 - c.y1 >= 0.5 * height && k !== Kind.HRule && k !== Kind.VRule) {
      tallAreas.push(c.area);
      tall.push(c);
    }
    if (c.area > largest) largest = c.area;
  }
  const n = Math.max(1, width * height);
  const mean = tallAreas.reduce((p, q) => p + q, 0) / Math.max(1, tallAreas.length);
  const sd = Math.sqrt(tallAreas.reduce((p, q) => p + (q - mean) ** 2, 0) / Math.max(1, tallAreas.length));
  let linesRight = 0;
  let linesBeside = 0;
  let covered = 0;
  let wordsInside = 0;
  for (const l of a.lines) {
    if (l.x1 >= b.x1 && l.x2 <= b.x2 && l.y1 >= b.y1 && l.y2 <= b.y2 && l.members.length >= 3) wordsInside++;
    const iw = Math.min(b.x2, l.x2) - Math.max(b.x1, l.x1);
    const ih = Math.min(b.y2, l.y2) - Math.max(b.y1, l.y1);
    if (iw > 0 && ih > 0) covered += iw * ih;
    const ov = Math.min(b.y2, l.y2) - Math.max(b.y1, l.y1);
    if (ov < 0.5 * (l.y2 - l.y1)) continue;
    if (l.x1 >= b.x2 - 0.5 * a.glyph && l.x1 - b.x2 <= 3 * a.glyph) linesRight++;
    if ((l.x1 >= b.x2 - 1 && l.x1 - b.x2 <= 3 * a.glyph) || (l.x2 <= b.x1 + 1 && b.x1 - l.x2 <= 3 * a.glyph)) linesBeside++;
  }
  return {
    width,
    height,
    wG: width / a.glyph,
    hG: height / a.glyph,
    inkFrac: ink / n,
    toneFrac: tone / n,
    midFrac: mid / n,
    colourFrac: tone ? colour / tone : 0,
    hLines: longLines(a, b, true, 0.7),
    vLines: longLines(a, b, false, 0.7),
    ...axisLabels(a, b),
    textComps,
    smallComps,
    bigComps,
    largestShare: inkInComps ? largest / inkInComps : 0,
    symmetry: symN ? sym / symN : 0,
    tallComps: tallAreas.length,
    tallAreaCv: mean ? sd / mean : 0,
    ...tallShapes(a, tall),
    linesRight,
    linesBeside,
    textCover: Math.min(1, covered / n),
    wordsInside,
    ...strokeStats(a, b),
  };
}

/** Count label-sized components lined up under the bottom axis and beside the left axis (chart evidence). */
/** The value with the most other values within ±tol of it. */
function modalBand(vs: readonly number[], tol: number): number {
  let best = vs[0] ?? 0;
  let bestN = 0;
  for (const v of vs) {
    let n = 0;
    for (const u of vs) if (Math.abs(u - v) <= tol) n++;
    if (n > bestN) {
      bestN = n;
      best = v;
    }
  }
  return best;
}

function axisLabels(a: PageAnalysis, b: Box): { labelsBelowAxis: number; labelsLeftOfAxis: number; withAxisLabels: Box } {
  const h = longLines(a, b, true, 0.55);
  const v = longLines(a, b, false, 0.55);
  const g = a.glyph;
  const width = b.x2 - b.x1;
  const height = b.y2 - b.y1;
  let below = 0;
  let left = 0;
  const grown: Box = { ...b };
  const take = (c: { x1: number; y1: number; x2: number; y2: number }) => {
    grown.x1 = Math.min(grown.x1, c.x1);
    grown.y1 = Math.min(grown.y1, c.y1);
    grown.x2 = Math.max(grown.x2, c.x2);
    grown.y2 = Math.max(grown.y2, c.y2);
  };
  const bottom = h.length ? b.y1 + h[h.length - 1]! * height : -1;
  const leftX = v.length ? b.x1 + v[0]! * width : -1;
  // letters of a long line under or beside the region (its caption, running text) are not value labels
  const inLongLine = new Set<number>();
  for (const l of a.lines)
    if (l.x2 - l.x1 > 8 * g && l.x2 > b.x1 - 6 * g && l.x1 < b.x2 + 2 * g && l.y2 > b.y1 - g && l.y1 < b.y2 + 4 * g)
      for (const m of l.members) inLongLine.add(m);
  if (bottom >= 0 && bottom > b.y1 + 0.5 * height) {
    const found: Component[] = [];
    for (const c of a.comps) {
      const k = a.kinds[c.id]!;
      if ((k !== Kind.Text && k !== Kind.Small) || inLongLine.has(c.id)) continue;
      if (c.y1 > bottom + 1 && c.y1 <= bottom + 3 * g && c.x1 >= b.x1 && c.x2 <= b.x2 + 2 * g && c.y2 - c.y1 <= 3 * g) {
        found.push(c);
        take(c);
      }
    }
    // tick labels share one baseline band; scattered strokes (hatching, a drawing's loose lines) do not
    // tick labels share one baseline band and one type size (digits are all one height); scattered strokes
    // (hatching, a drawing's loose lines) do neither
    const row = modalBand(
      found.map((c) => (c.y1 + c.y2) / 2),
      0.6 * g,
    );
    const inRow = found.filter((c) => Math.abs((c.y1 + c.y2) / 2 - row) <= 0.6 * g);
    const size = modalBand(
      inRow.map((c) => c.y2 - c.y1),
      0.15 * g + 1,
    );
    const bins = new Set<number>();
    for (const c of inRow)
      if (Math.abs(c.y2 - c.y1 - size) <= 0.15 * g + 1) bins.add(Math.floor(((c.x1 + c.x2) / 2 - b.x1) / (width / 12)));
    below = bins.size;
  }
  if (leftX >= 0 && leftX < b.x1 + 0.5 * width) {
    const found: Component[] = [];
    for (const c of a.comps) {
      const k = a.kinds[c.id]!;
      if ((k !== Kind.Text && k !== Kind.Small) || inLongLine.has(c.id)) continue;
      if (c.x2 < leftX - 1 && c.x2 >= leftX - 5 * g && c.y1 >= b.y1 - g && c.y2 <= b.y2 + g && c.y2 - c.y1 <= 3 * g) {
        found.push(c);
        take(c);
      }
    }
    // value labels are set flush left or flush right: count the rows of whichever alignment holds more of them
    const rowsAligned = (edge: (c: Component) => number) => {
      const at = modalBand(found.map(edge), 0.6 * g);
      const bins = new Set<number>();
      for (const c of found) if (Math.abs(edge(c) - at) <= 0.6 * g) bins.add(Math.floor(((c.y1 + c.y2) / 2 - b.y1) / (height / 12)));
      return bins.size;
    };
    left = Math.max(
      rowsAligned((c) => c.x1),
      rowsAligned((c) => c.x2),
    );
  }
  return { labelsBelowAxis: below, labelsLeftOfAxis: left, withAxisLabels: grown };
}

/** 8×8 occupancy of a component's own pixels within its box. */
function shape(a: PageAnalysis, c: Component): Float32Array {
  const v = new Float32Array(64);
  const w = c.x2 - c.x1;
  const h = c.y2 - c.y1;
  const n = new Float32Array(64);
  for (let y = c.y1; y < c.y2; y++) {
    const gy = Math.min(7, (((y - c.y1) * 8) / h) | 0);
    for (let x = c.x1; x < c.x2; x++) {
      const gx = Math.min(7, (((x - c.x1) * 8) / w) | 0);
      n[gy * 8 + gx]!++;
      if (a.labels[y * a.width + x] === c.id + 1) v[gy * 8 + gx]!++;
    }
  }
  for (let i = 0; i < 64; i++) v[i] = n[i]! ? v[i]! / n[i]! : 0;
  return v;
}

function tallShapes(a: PageAnalysis, tall: Component[]): { tallRepeat: number; tallGapRatio: number } {
  if (tall.length < 2) return { tallRepeat: 0, tallGapRatio: 0 };
  const list = tall.slice(0, 40).sort((p, q) => p.x1 - q.x1);
  const shapes = list.map((c) => shape(a, c));
  let repeated = 0;
  for (let i = 0; i < list.length; i++) {
    const ci = list[i]!;
    const found = list.some((cj, j) => {
      if (j === i) return false;
      const wi = ci.x2 - ci.x1,
        wj = cj.x2 - cj.x1,
        hi = ci.y2 - ci.y1,
        hj = cj.y2 - cj.y1;
      if (Math.abs(wi - wj) > 0.15 * Math.max(wi, wj) + 1 || Math.abs(hi - hj) > 0.15 * Math.max(hi, hj) + 1) return false;
      let d = 0;
      for (let k = 0; k < 64; k++) d += Math.abs(shapes[i]![k]! - shapes[j]![k]!);
      return d / 64 < 0.12;
    });
    if (found) repeated++;
  }
  const gaps: number[] = [];
  const heights: number[] = [];
  for (let i = 0; i < list.length; i++) {
    heights.push(list[i]!.y2 - list[i]!.y1);
    if (i) gaps.push(Math.max(0, list[i]!.x1 - list[i - 1]!.x2));
  }
  gaps.sort((p, q) => p - q);
  heights.sort((p, q) => p - q);
  return { tallRepeat: repeated / list.length, tallGapRatio: gaps[gaps.length >> 1]! / Math.max(1, heights[heights.length >> 1]!) };
}
