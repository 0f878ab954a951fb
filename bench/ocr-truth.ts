/**
 * Text ground truth of the dev pages and the character error rate (CER) of an OCR result against it.
 *
 * `bench/fixtures/ocr-truth/<page>.json` holds the page's prose lines: each line's box (page pixels of the
 * original dev page) and its text taken from the source the page was typeset from (KJV chapters, Czech prose
 * of fortunes-cs), not from any OCR. `bench/make-ocr-truth.ts` made them and says how.
 *
 * CER: every OCR line is given to the truth line it overlaps most (none, if it overlaps none: headers,
 * captions, tables and text inside pictures are not scored); the OCR lines of a truth line, left to right, are
 * compared with its text by Levenshtein distance. CER = total distance / total truth characters; a truth
 * line no OCR line reached counts as all deleted.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface TruthLine {
  /** [x1, y1, x2, y2] in the original page's pixels. */
  box: [number, number, number, number];
  text: string;
}
export interface PageTruth {
  page: string;
  width: number;
  height: number;
  lines: TruthLine[];
}
export interface OcrLine {
  box: [number, number, number, number];
  text: string;
}

export const TRUTH_DIR = join(import.meta.dir, "fixtures", "ocr-truth");

export function loadTruth(page: string): PageTruth {
  return JSON.parse(readFileSync(join(TRUTH_DIR, `${page}.json`), "utf8")) as PageTruth;
}

/** Levenshtein distance of two strings (code points), O(|a|·|b|) time, O(|b|) memory. */
export function editDistance(a: string, b: string): number {
  const x = Array.from(a),
    y = Array.from(b);
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  let cur = new Array<number>(y.length + 1);
  for (let i = 1; i <= x.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= y.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    [prev, cur] = [cur, prev];
  }
  return prev[y.length]!;
}

const overlap = (a: readonly number[], b: readonly number[]) =>
  Math.max(0, Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!)) * Math.max(0, Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!));

export const normalise = (s: string) =>
  s
    .normalize("NFC")
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u201c\u201d\u201e]/g, '"')
    .replace(/\s+/g, " ")
    .trim();

/**
 * CER of OCR lines (boxes in a page of `width`×`height`, scaled to the truth's page) against the truth.
 * Returns the edit distance and the truth length, so pages can be pooled.
 */
export function scoreOcr(truth: PageTruth, lines: OcrLine[], width: number, height: number): { errors: number; chars: number } {
  const sx = truth.width / width,
    sy = truth.height / height;
  const given: OcrLine[][] = truth.lines.map(() => []);
  for (const l of lines) {
    const b = [l.box[0] * sx, l.box[1] * sy, l.box[2] * sx, l.box[3] * sy];
    let best = -1,
      bestArea = 0;
    truth.lines.forEach((t, i) => {
      const a = overlap(t.box, b);
      if (a > bestArea) [best, bestArea] = [i, a];
    });
    if (best >= 0) given[best]!.push({ ...l, box: b as OcrLine["box"] });
  }
  let errors = 0,
    chars = 0;
  truth.lines.forEach((t, i) => {
    const text = normalise(
      given[i]!.sort((a, b) => a.box[0] - b.box[0])
        .map((l) => l.text)
        .join(" "),
    );
    const want = normalise(t.text);
    errors += editDistance(text, want);
    chars += Array.from(want).length;
  });
  return { errors, chars };
}
