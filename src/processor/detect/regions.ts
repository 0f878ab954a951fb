import { Kind, TONE_LEVEL, type PageAnalysis } from "./analysis.ts";
import { area, contains, intersection, near, union } from "./boxes.ts";
import type { Box } from "./types.ts";

/** A candidate non-text region at analysis scale, with where its evidence came from. */
export interface Candidate {
  box: Box;
  /** found from dense tone cells (photo-like) */
  dense: boolean;
  /** made of stacked horizontal rules (table without a full grid) */
  ruled: boolean;
  /** found from coloured ink only (stamps, coloured marks over text): never grows by text lines */
  colour: boolean;
}

/**
 * Dense-tone cells: square cells of about two glyph heights in which most pixels are visibly not paper.
 * Text never fills a cell; photographs and solid artwork do. 4-connected groups of at least 3×3 cells.
 */
function denseBoxes(a: PageAnalysis): Box[] {
  // cells of about two glyph heights: text never fills such a cell, even in bold type at coarse resolution
  const cell = Math.max(6, Math.round(1.8 * a.glyph));
  const cw = Math.ceil(a.width / cell);
  const ch = Math.ceil(a.height / cell);
  const dense = new Uint8Array(cw * ch);
  for (let cy = 0; cy < ch; cy++)
    for (let cx = 0; cx < cw; cx++) {
      let t = 0;
      let n = 0;
      const y1 = Math.min(a.height, (cy + 1) * cell);
      const x1 = Math.min(a.width, (cx + 1) * cell);
      for (let y = cy * cell; y < y1; y++)
        for (let x = cx * cell; x < x1; x++) {
          n++;
          if (a.norm[y * a.width + x]! <= TONE_LEVEL) t++;
        }
      if (t >= 0.7 * n) dense[cy * cw + cx] = 1;
    }
  // cells lying on found text lines are text set solid by coarse resolution or bold type, not tone
  const onText = new Uint16Array(cw * ch);
  for (const l of a.lines)
    for (let y = l.y1; y < l.y2; y++)
      for (let cx = Math.floor(l.x1 / cell); cx <= Math.floor((l.x2 - 1) / cell); cx++) {
        const x1 = Math.max(l.x1, cx * cell);
        const x2 = Math.min(l.x2, (cx + 1) * cell);
        onText[((y / cell) | 0) * cw + cx]! += x2 - x1;
      }
  for (let i = 0; i < cw * ch; i++) if (onText[i]! >= 0.5 * cell * cell) dense[i] = 0;
  const seen = new Uint8Array(cw * ch);
  const out: Box[] = [];
  const stack: number[] = [];
  for (let i = 0; i < cw * ch; i++) {
    if (!dense[i] || seen[i]) continue;
    let minx = cw,
      miny = ch,
      maxx = 0,
      maxy = 0,
      count = 0;
    stack.push(i);
    seen[i] = 1;
    while (stack.length) {
      const j = stack.pop()!;
      const x = j % cw;
      const y = (j / cw) | 0;
      count++;
      if (x < minx) minx = x;
      if (y < miny) miny = y;
      if (x > maxx) maxx = x;
      if (y > maxy) maxy = y;
      for (const k of [x > 0 ? j - 1 : -1, x < cw - 1 ? j + 1 : -1, y > 0 ? j - cw : -1, y < ch - 1 ? j + cw : -1])
        if (k >= 0 && dense[k] && !seen[k]) {
          seen[k] = 1;
          stack.push(k);
        }
    }
    if (count >= 6 && maxx - minx >= 1 && maxy - miny >= 1)
      out.push({ x1: minx * cell, y1: miny * cell, x2: Math.min(a.width, (maxx + 1) * cell), y2: Math.min(a.height, (maxy + 1) * cell) });
  }
  return out;
}

/**
 * Groups of ≥ 3 horizontal rules of similar extent stacked within a table's height, with no running text between
 * them (lines between rules must be cell-sized, not as wide as the rules): the skeleton of a ruled table, also
 * booktabs-style tables without vertical rules.
 */
/**
 * A thin rule that the scan broke into pieces (a hairline at coarse resolution): horizontal rule pieces on one
 * (skewed) row with gaps of at most a few glyphs become one rule.
 */
function joinRulePieces(a: PageAnalysis, pieces: Box[]): Box[] {
  const list = pieces.slice().sort((p, q) => p.x1 - q.x1);
  const out: Box[] = [];
  for (const p of list) {
    const cy = (p.y1 + p.y2) / 2;
    const hit = out.find((r) => {
      const gap = p.x1 - r.x2;
      if (gap > 3 * a.glyph || p.x2 <= r.x2) return false;
      // where the row of r would be at p's start, following the page skew
      const expect = (r.y1 + r.y2) / 2 + a.skew * (p.x1 - (r.x1 + r.x2) / 2);
      return Math.abs(cy - expect) <= 2 + Math.abs(a.skew) * (r.x2 - r.x1) * 0.5;
    });
    if (hit) Object.assign(hit, union(hit, p));
    else out.push({ ...p });
  }
  return out;
}

function ruledTables(a: PageAnalysis): Box[] {
  const rules = joinRulePieces(
    a,
    a.comps.filter((c) => a.kinds[c.id] === Kind.HRule).map((c) => ({ x1: c.x1, y1: c.y1, x2: c.x2, y2: c.y2 })),
  );
  rules.sort((p, q) => p.y1 - q.y1);
  const used = new Uint8Array(rules.length);
  const out: Box[] = [];
  const runningTextBetween = (r: Box, y1: number, y2: number) =>
    a.lines.some((l) => {
      if (l.y1 < y1 || l.y2 > y2) return false;
      const ov = Math.min(l.x2, r.x2) - Math.max(l.x1, r.x1);
      return ov > 0 && l.x2 - l.x1 >= 0.6 * (r.x2 - r.x1);
    });
  // share of the band under a rule covered by text-line boxes: ≈ 0.5 for running text, far less for table cells
  const lineCover = (r: Box, y1: number, y2: number) => {
    let s = 0;
    for (const l of a.lines) {
      if (l.y1 < y1 || l.y2 > y2) continue;
      s += Math.max(0, Math.min(l.x2, r.x2) - Math.max(l.x1, r.x1)) * (l.y2 - l.y1);
    }
    return s / Math.max(1, (r.x2 - r.x1) * (y2 - y1));
  };
  for (let i = 0; i < rules.length; i++) {
    if (used[i]) continue;
    const r = rules[i]!;
    const group = [i];
    let last = r;
    for (let j = i + 1; j < rules.length; j++) {
      const s = rules[j]!;
      // rules far apart belong together only over sparse cell text, never over a page of running text
      const gap = s.y1 - last.y2;
      if (gap > 40 * a.glyph && (gap > 120 * a.glyph || lineCover(r, last.y2, s.y1) >= 0.25)) break;
      const ov = Math.min(r.x2, s.x2) - Math.max(r.x1, s.x1);
      if (ov < 0.8 * Math.max(r.x2 - r.x1, s.x2 - s.x1)) continue;
      if (runningTextBetween(r, last.y2, s.y1)) break;
      group.push(j);
      last = s;
    }
    if (group.length >= 3) {
      let box: Box = { x1: r.x1, y1: r.y1, x2: r.x2, y2: r.y2 };
      for (const j of group) {
        used[j] = 1;
        const s = rules[j]!;
        box = union(box, { x1: s.x1, y1: s.y1, x2: s.x2, y2: s.y2 });
      }
      out.push(box);
    }
  }
  return out;
}

/**
 * A loose piece may join a region when it is smaller, or — the arms of an ornament, the strokes of a drawing around
 * a small core — up to a few times its size without being far longer than the region in either direction (a page
 * rule passing by never joins a small region).
 */
function joinable(region: Box, piece: Box, glyph: number): boolean {
  // a rule running well past the region on both sides (a page or column rule by a heading) is not part of it;
  // an ornament's arm reaches out on one side only
  const out = 2 * glyph;
  if (piece.x1 < region.x1 - out && piece.x2 > region.x2 + out) return false;
  if (piece.y1 < region.y1 - out && piece.y2 > region.y2 + out) return false;
  if (area(piece) < area(region)) return true;
  return (
    area(piece) < 3 * area(region) &&
    piece.x2 - piece.x1 <= 4 * (region.x2 - region.x1) &&
    piece.y2 - piece.y1 <= 4 * (region.y2 - region.y1)
  );
}

function mostlyInside(inner: Box, outer: Box): boolean {
  return intersection(inner, outer) >= 0.7 * area(inner);
}

function mergeOverlapping(cands: Candidate[], gap: number): Candidate[] {
  let changed = true;
  let list = cands.slice();
  while (changed) {
    changed = false;
    const next: Candidate[] = [];
    for (const c of list) {
      const hit = next.find((d) => near(d.box, c.box, gap));
      if (hit) {
        // a colour mark keeps its flag when it swallows pieces lying mostly inside it (letters it overprints)
        hit.colour = (hit.colour && (c.colour || mostlyInside(c.box, hit.box))) || (c.colour && mostlyInside(hit.box, c.box));
        hit.box = union(hit.box, c.box);
        hit.dense ||= c.dense;
        hit.ruled ||= c.ruled;
        changed = true;
      } else next.push({ ...c });
    }
    list = next;
  }
  return list;
}

/** Seeds (big components, dense tone, ruled tables) grown by nearby non-text pieces and merged. */
export function findCandidates(a: PageAnalysis): Candidate[] {
  const g = a.glyph;
  let cands: Candidate[] = [];
  const plain = { dense: false, ruled: false, colour: false };
  for (const c of a.comps)
    if (a.kinds[c.id] === Kind.Big || (a.kinds[c.id] === Kind.Small && c.y2 - c.y1 >= 2 * g && c.x2 - c.x1 >= 1.5 * g))
      cands.push({ box: { x1: c.x1, y1: c.y1, x2: c.x2, y2: c.y2 }, ...plain });
  for (const c of a.toneStructures) cands.push({ box: { x1: c.x1, y1: c.y1, x2: c.x2, y2: c.y2 }, ...plain });
  for (const c of a.ornamentRows) cands.push({ box: { x1: c.x1, y1: c.y1, x2: c.x2, y2: c.y2 }, ...plain });
  for (const b of denseBoxes(a)) cands.push({ box: b, ...plain, dense: true });
  for (const b of ruledTables(a)) cands.push({ box: b, ...plain, ruled: true });
  for (const b of colourBoxes(a)) cands.push({ box: b, ...plain, colour: true });
  cands = mergeSiblings(cands, g);
  cands = mergeOverlapping(cands, 0.8 * g);
  // grow by loose non-text pieces (specks, short strokes, rules) close to a region, then by everything inside it
  for (let pass = 0; pass < 3; pass++) {
    let grew = false;
    for (const c of a.comps) {
      const k = a.kinds[c.id]!;
      if (k === Kind.Text || k === Kind.Big) continue;
      const b: Box = { x1: c.x1, y1: c.y1, x2: c.x2, y2: c.y2 };
      // bigger pieces may sit further away (ornament parts, scattered marks), specks only very close
      const size = Math.min(c.x2 - c.x1, c.y2 - c.y1);
      const gap = k === Kind.Noise ? 0.3 * g : Math.max(0.7 * g, Math.min(2 * g, 0.8 * size));
      for (const cand of cands) {
        if (contains(cand.box, b)) break;
        if (near(cand.box, b, gap) && joinable(cand.box, b, g)) {
          cand.box = union(cand.box, b);
          grew = true;
          break;
        }
      }
    }
    // text lines touching or overlapping a region and narrower than it (labels, tick marks) join it
    for (const l of a.lines) {
      const b: Box = { x1: l.x1, y1: l.y1, x2: l.x2, y2: l.y2 };
      for (const cand of cands) {
        if (contains(cand.box, b)) break;
        if (cand.colour) continue;
        const w = cand.box.x2 - cand.box.x1;
        const lw = l.x2 - l.x1;
        const lh = l.y2 - l.y1;
        // only lines that lie within the region's columns (labels, tick values) or within its rows (axis labels at
        // the side); lines sticking out would chain the region through running text
        const inCols = Math.min(l.x2, cand.box.x2) - Math.max(l.x1, cand.box.x1) >= 0.85 * lw;
        const inRows = Math.min(l.y2, cand.box.y2) - Math.max(l.y1, cand.box.y1) >= 0.85 * lh && lw < 0.3 * w;
        if (!inCols && !inRows) continue;
        const overlapping = near(cand.box, b, 0);
        if ((overlapping && lw < 0.9 * w) || (near(cand.box, b, 0.35 * g) && lw < 0.6 * w)) {
          cand.box = union(cand.box, b);
          grew = true;
          break;
        }
      }
    }
    cands = mergeOverlapping(cands, 0.5 * g);
    if (!grew) break;
  }
  return mergeStacked(a, cands);
}

/**
 * Parts of one picture one above the other with a narrow band of bare paper between them (an icon's lid, a
 * diagram's separated rows): about the same columns, a gap of at most two glyph heights, no text line in the gap.
 */
function mergeStacked(a: PageAnalysis, cands: Candidate[]): Candidate[] {
  const list = cands.map((c) => ({ ...c }));
  const g = a.glyph;
  let changed = true;
  while (changed) {
    changed = false;
    outer: for (let i = 0; i < list.length; i++)
      for (let j = 0; j < list.length; j++) {
        if (i === j) continue;
        const p = list[i]!.box;
        const q = list[j]!.box;
        if (q.y1 < p.y2 || q.y1 - p.y2 > 2 * g) continue;
        const ov = Math.min(p.x2, q.x2) - Math.max(p.x1, q.x1);
        if (ov < 0.7 * Math.min(p.x2 - p.x1, q.x2 - q.x1)) continue;
        if (Math.min(p.y2 - p.y1, q.y2 - q.y1) < 2 * g) continue;
        const gap: Box = { x1: Math.max(p.x1, q.x1), y1: p.y2, x2: Math.min(p.x2, q.x2), y2: q.y1 };
        if (a.lines.some((l) => l.y2 > gap.y1 && l.y1 < gap.y2 && l.x2 > gap.x1 && l.x1 < gap.x2)) continue;
        const ci = list[i]!;
        const cj = list[j]!;
        list[i] = { box: union(p, q), dense: ci.dense || cj.dense, ruled: ci.ruled || cj.ruled, colour: ci.colour && cj.colour };
        list.splice(j, 1);
        changed = true;
        break outer;
      }
  }
  return list;
}

/**
 * Candidates of similar height side by side on one band with gaps below their height: parts of one ornament row
 * (a frieze, a vignette) or of one figure. Text never reaches this stage as a candidate.
 */
function mergeSiblings(cands: Candidate[], glyph: number): Candidate[] {
  const list = cands.map((c) => ({ ...c }));
  let changed = true;
  while (changed) {
    changed = false;
    outer: for (let i = 0; i < list.length; i++)
      for (let j = i + 1; j < list.length; j++) {
        const p = list[i]!.box;
        const q = list[j]!.box;
        const hp = p.y2 - p.y1;
        const hq = q.y2 - q.y1;
        if (Math.max(hp, hq) > 2 * Math.min(hp, hq) || Math.max(hp, hq) > 12 * glyph) continue;
        const ov = Math.min(p.y2, q.y2) - Math.max(p.y1, q.y1);
        if (ov < 0.6 * Math.min(hp, hq)) continue;
        const gapX = Math.max(p.x1, q.x1) - Math.min(p.x2, q.x2);
        if (gapX > 2 * Math.min(hp, hq)) continue;
        list[i] = {
          box: union(p, q),
          dense: list[i]!.dense || list[j]!.dense,
          ruled: list[i]!.ruled || list[j]!.ruled,
          colour: list[i]!.colour && list[j]!.colour,
        };
        list.splice(j, 1);
        changed = true;
        break outer;
      }
  }
  return list;
}

/** Clusters of coloured ink (dilated by about a glyph) large enough to be a mark, stamp or coloured figure. */
function colourBoxes(a: PageAnalysis): Box[] {
  if (!a.colour) return [];
  const cell = Math.max(3, Math.round(a.glyph / 2));
  const cw = Math.ceil(a.width / cell);
  const ch = Math.ceil(a.height / cell);
  const count = new Uint16Array(cw * ch);
  for (let y = 0; y < a.height; y++)
    for (let x = 0; x < a.width; x++) if (a.colour[y * a.width + x]) count[((y / cell) | 0) * cw + ((x / cell) | 0)]!++;
  const on = new Uint8Array(cw * ch);
  const minPix = Math.max(2, 0.04 * cell * cell);
  for (let i = 0; i < cw * ch; i++) if (count[i]! >= minPix) on[i] = 1;
  // 8-connected groups of cells, bridging one empty cell
  const seen = new Uint8Array(cw * ch);
  const out: Box[] = [];
  for (let i = 0; i < cw * ch; i++) {
    if (!on[i] || seen[i]) continue;
    const stack = [i];
    seen[i] = 1;
    let minx = cw,
      miny = ch,
      maxx = 0,
      maxy = 0,
      pix = 0;
    while (stack.length) {
      const j = stack.pop()!;
      const x = j % cw;
      const y = (j / cw) | 0;
      pix += count[j]!;
      if (x < minx) minx = x;
      if (y < miny) miny = y;
      if (x > maxx) maxx = x;
      if (y > maxy) maxy = y;
      for (let dy = -2; dy <= 2; dy++)
        for (let dx = -2; dx <= 2; dx++) {
          const nx = x + dx;
          const ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= cw || ny >= ch) continue;
          const k = ny * cw + nx;
          if (on[k] && !seen[k]) {
            seen[k] = 1;
            stack.push(k);
          }
        }
    }
    const box: Box = {
      x1: minx * cell,
      y1: miny * cell,
      x2: Math.min(a.width, (maxx + 1) * cell),
      y2: Math.min(a.height, (maxy + 1) * cell),
    };
    if (box.x2 - box.x1 >= 3 * a.glyph && box.y2 - box.y1 >= 3 * a.glyph && pix >= 2 * a.glyph * a.glyph) out.push(box);
  }
  return out;
}
