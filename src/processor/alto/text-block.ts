/** Mode B text of the ALTO writer (write.ts, docs/processor.md §4.1.1): a text region as a TextBlock of TextLines and Strings. */
import type { Element } from "@xmldom/xmldom";
import { polygonBBox, pyRound, type TextRegion } from "../layout.ts";
import type { Attrs, Maker } from "./dom.ts";

export interface Box4 {
  vpos: number;
  hpos: number;
  height: number;
  width: number;
}

export function union(ps: Box4, b: Box4): Box4 {
  const bottom = Math.max(ps.vpos + ps.height, b.vpos + b.height);
  const right = Math.max(ps.hpos + ps.width, b.hpos + b.width);
  const vpos = Math.min(ps.vpos, b.vpos);
  const hpos = Math.min(ps.hpos, b.hpos);
  return { vpos, hpos, height: bottom - vpos, width: right - hpos };
}

export function writeTextBlock(A: Maker, printSpace: Element, region: TextRegion): Box4 | null {
  const xs = region.polygon.map((p) => p[0]);
  const ys = region.polygon.map((p) => p[1]);
  if (xs.length === 0) return null;
  const x1 = Math.trunc(Math.min(...xs)),
    y1 = Math.trunc(Math.min(...ys));
  const box: Box4 = { hpos: x1, vpos: y1, width: Math.trunc(Math.max(...xs)) - x1, height: Math.trunc(Math.max(...ys)) - y1 };
  const tb = A.el(printSpace, "TextBlock", {
    ID: `block_${region.id}`,
    HEIGHT: box.height,
    WIDTH: box.width,
    VPOS: box.vpos,
    HPOS: box.hpos,
  });
  const lines = region.lines;
  const words = lines.map((l) => l.transcription.split(/\s+/).filter(Boolean));
  for (let li = 0; li < lines.length; li++) {
    const line = lines[li]!;
    const w = words[li]!;
    if (w.length === 0) continue;
    const bb = polygonBBox(line.polygon);
    const lh = bb.y2 - bb.y1,
      lw = bb.x2 - bb.x1;
    const tl = A.el(tb, "TextLine", {
      ID: `line_${line.id}`,
      BASELINE: line.baseline.map(([x, y]) => `${pyRound(x)},${pyRound(y)}`).join(" "),
      VPOS: bb.y1,
      HPOS: bb.x1,
      HEIGHT: lh,
      WIDTH: lw,
    });
    const prev = li > 0 ? words[li - 1]! : null;
    const next = li + 1 < lines.length ? words[li + 1]! : null;
    const prevWord = prev?.length ? prev[prev.length - 1]! : null;
    for (let i = 0; i < w.length; i++) {
      const word = w[i]!;
      const real = line.words?.[i];
      const attrs: Attrs =
        real && line.words!.length === w.length
          ? {
              CONTENT: word,
              HEIGHT: real.y2 - real.y1,
              WIDTH: real.x2 - real.x1,
              VPOS: real.y1,
              HPOS: real.x1,
              WC: real.confidence.toFixed(2),
            }
          : (() => {
              // pero-ocr fallback geometry (docs/processor.md §4.1.1 quirk, the fixtures depend on it)
              const a = (bb.x1 + lw) / w.length;
              return { CONTENT: word, HEIGHT: lh, WIDTH: Math.trunc(a), VPOS: bb.y1, HPOS: Math.trunc(bb.x1 + i * a) };
            })();
      // docs/processor.md §4.1.1: the first word after a non-blank line is only ever a HypPart2 candidate (pero-ocr's if/elif), even
      // when it is also the line's last word
      if (i === 0 && prevWord) {
        if (prevWord.endsWith("-")) {
          attrs.SUBS_CONTENT = prevWord.slice(0, -1) + word;
          attrs.SUBS_TYPE = "HypPart2";
        }
      } else if (i === w.length - 1 && word.endsWith("-") && next?.length) {
        attrs.SUBS_CONTENT = word.slice(0, -1) + next[0]!;
        attrs.SUBS_TYPE = "HypPart1";
      }
      A.el(tl, "String", attrs);
    }
  }
  return box;
}
