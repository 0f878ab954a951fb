import { TONE_LEVEL, type PageAnalysis } from "./analysis.ts";
import type { Box } from "./types.ts";

/** How a region's strokes run: evidence that separates drafted drawings (plans, boxes) from free line art. */
export interface StrokeStats {
  /** share of the thin-stroke pixels (tone level) lying on horizontal or vertical strokes ≥ 1.5 glyph heights long:
   *  walls of a floor plan, boxes of a diagram, rules of a table (high) vs curves, hatching, coastlines (low) */
  axisFrac: number;
  /** share of the drawn pixels that are only tone (pale or thin strokes), not ink-black */
  paleFrac: number;
}

/**
 * Axis-aligned stroke statistics of a region (analysis scale). Every drawn pixel gets the length of the horizontal
 * and of the vertical run it lies on; a pixel on a stroke (one run at most 0.6 glyph heights) counts
 * as axis-aligned when its other run is long (≥ 1.5 glyph heights). Filled areas and glyph bodies are left out.
 */
export function strokeStats(a: PageAnalysis, b: Box): StrokeStats {
  const w = b.x2 - b.x1;
  const h = b.y2 - b.y1;
  if (w <= 0 || h <= 0) return { axisFrac: 0, paleFrac: 0 };
  const minRun = Math.max(4, Math.round(1.5 * a.glyph));
  // (walls of a plan are drawn thick: up to about half a glyph height still counts as a stroke)
  const thin = Math.max(2, Math.round(0.6 * a.glyph));
  const hRun = new Uint16Array(w * h);
  const vRun = new Uint16Array(w * h);
  let pale = 0;
  let drawn = 0;
  for (let y = 0; y < h; y++) {
    const row = (b.y1 + y) * a.width + b.x1;
    let run = 0;
    for (let x = 0; x <= w; x++) {
      if (x < w && a.norm[row + x]! <= TONE_LEVEL) {
        drawn++;
        if (!a.ink[row + x]) pale++;
        run++;
        continue;
      }
      if (run) hRun.fill(Math.min(run, 65535), y * w + x - run, y * w + x);
      run = 0;
    }
  }
  for (let x = 0; x < w; x++) {
    let run = 0;
    for (let y = 0; y <= h; y++) {
      if (y < h && a.norm[(b.y1 + y) * a.width + b.x1 + x]! <= TONE_LEVEL) {
        run++;
        continue;
      }
      for (let k = y - run; k < y; k++) vRun[k * w + x] = Math.min(run, 65535);
      run = 0;
    }
  }
  let strokes = 0;
  let axis = 0;
  for (let i = 0; i < hRun.length; i++) {
    const hr = hRun[i]!;
    if (!hr) continue;
    const vr = vRun[i]!;
    if (hr > thin && vr > thin) continue;
    strokes++;
    if ((hr >= minRun && vr <= thin) || (vr >= minRun && hr <= thin)) axis++;
  }
  return { axisFrac: strokes ? axis / strokes : 0, paleFrac: drawn ? pale / drawn : 0 };
}
