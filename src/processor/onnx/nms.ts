/**
 * Non-maximum suppression as Ultralytics applies it after a detect head: candidates by descending
 * score (at most `maxCandidates`), a box is dropped when its IoU with a kept box of the same class
 * (any class when `agnostic`) is above `iou`; at most `maxDetections` are kept. Stable for equal scores.
 */
export interface ScoredBox {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
  cls: number;
}

function iou(a: ScoredBox, b: ScoredBox): number {
  const iw = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const ih = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return union > 0 ? inter / union : 0;
}

export function nms(
  boxes: ScoredBox[],
  opts: { iou: number; agnostic: boolean; maxCandidates: number; maxDetections: number },
): ScoredBox[] {
  const sorted = boxes
    .map((b, i) => ({ b, i }))
    .sort((p, q) => q.b.score - p.b.score || p.i - q.i)
    .slice(0, opts.maxCandidates)
    .map((p) => p.b);
  const kept: ScoredBox[] = [];
  for (const b of sorted) {
    if (kept.length >= opts.maxDetections) break;
    if (kept.some((k) => (opts.agnostic || k.cls === b.cls) && iou(k, b) > opts.iou)) continue;
    kept.push(b);
  }
  return kept;
}
