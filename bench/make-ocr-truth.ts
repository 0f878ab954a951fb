#!/usr/bin/env bun
/**
 * Makes the dev pages' text ground truth (bench/fixtures/ocr-truth/*.json, read by bench/ocr-truth.ts) from the
 * texts the pages were typeset from (shared/fixtures/pages/SOURCES.md): the KJV chapters (Debian's
 * sword-text-kjv, exported with diatheke) for English pages and the Czech prose of fortunes-cs (ignac, josef,
 * market) for Czech ones. Needs those Debian packages (`apt-get install sword-text-kjv diatheke fortunes-cs`);
 * the committed JSON files are its output, so the benchmark itself needs none of them.
 *
 *   bun bench/make-ocr-truth.ts
 *
 * How: each page is read once with the most accurate OCR we ship (best_int, the page's language) only to find
 * its lines' boxes and where each line stands in the source: the line's character 5-grams vote for an offset in
 * the source, then a semi-global alignment (free start and end in the source) fixes the exact span. The truth
 * line is that span of the SOURCE text (a line ending in a hyphenated word gets the source's word part and "-",
 * as typeset). Lines whose best span differs from the OCR by more than 20 % of their characters are left out: the
 * running head, page numbers, captions, tables and text inside figures (their text is not in the prose sources).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decodeImage, toGrey } from "../src/media/index.ts";
import { OcrEngine } from "../src/processor/ocr/tesseract.ts";
import { SHARED } from "../tests/helpers/shared.ts";
import { normalise, TRUTH_DIR, type PageTruth, type TruthLine } from "./ocr-truth.ts";

const KJV = ["Exodus 1-4", "Daniel 1-6", "Mark 4-6"];
const FORTUNES = ["ignac", "josef", "market"].map((f) => `/usr/share/games/fortunes/cs/${f}.u8`);

function englishSource(): string {
  const out: string[] = [];
  for (const key of KJV) {
    const p = Bun.spawnSync(["diatheke", "-b", "engKJV2006eb", "-f", "plain", "-k", key]);
    if (p.exitCode !== 0) throw new Error(`diatheke failed for ${key}: install sword-text-kjv and diatheke`);
    for (const line of p.stdout.toString().split("\n")) {
      const m = /^[1-3]?\s?[A-Za-z]+ \d+:\d+: (.*)$/.exec(line);
      if (m) out.push(m[1]!);
    }
  }
  return normalise(out.join(" "));
}

function czechSource(): string {
  const out: string[] = [];
  for (const f of FORTUNES) {
    for (const line of readFileSync(f, "utf8").split("\n")) {
      if (line === "%" || /^\s+--/.test(line)) continue;
      out.push(line);
    }
  }
  return normalise(out.join(" "));
}

/** Character 5-gram → positions in the source. */
function gramIndex(src: string): Map<string, number[]> {
  const idx = new Map<string, number[]>();
  for (let i = 0; i + 5 <= src.length; i++) {
    const g = src.slice(i, i + 5);
    let list = idx.get(g);
    if (!list) idx.set(g, (list = []));
    list.push(i);
  }
  return idx;
}

/** Best span [start, end) of `src` within [lo, hi) for `text`, by edit distance with a free start and end. */
function alignSpan(text: string, src: string, lo: number, hi: number): { start: number; end: number; dist: number } {
  const t = text,
    s = src.slice(lo, hi);
  // rows: text characters; columns: source characters; start[j] remembers where the path entered the source
  let prev = new Array<number>(s.length + 1).fill(0),
    prevStart = Array.from({ length: s.length + 1 }, (_, j) => j);
  for (let i = 1; i <= t.length; i++) {
    const cur = new Array<number>(s.length + 1),
      curStart = new Array<number>(s.length + 1);
    cur[0] = i;
    curStart[0] = 0;
    for (let j = 1; j <= s.length; j++) {
      const sub = prev[j - 1]! + (t[i - 1] === s[j - 1] ? 0 : 1),
        del = prev[j]! + 1,
        ins = cur[j - 1]! + 1;
      if (sub <= del && sub <= ins) [cur[j], curStart[j]] = [sub, prevStart[j - 1]!];
      else if (del <= ins) [cur[j], curStart[j]] = [del, prevStart[j]!];
      else [cur[j], curStart[j]] = [ins, curStart[j - 1]!];
    }
    prev = cur;
    prevStart = curStart;
  }
  let end = 0;
  for (let j = 1; j <= s.length; j++) if (prev[j]! < prev[end]!) end = j;
  return { start: lo + prevStart[end]!, end: lo + end, dist: prev[end]! };
}

/**
 * Where `text` stands in the source: its character 5-grams vote for offsets; among the well-voted offsets (the
 * prose repeats itself: Daniel 4 tells the dream twice) the first at or after `after`, the end of the line read
 * before it, else the best-voted one; then the exact span by alignment.
 */
function locate(text: string, src: string, idx: Map<string, number[]>, after: number): { start: number; end: number; dist: number } | null {
  const votes = new Map<number, number>();
  for (let k = 0; k + 5 <= text.length; k++) {
    for (const p of idx.get(text.slice(k, k + 5)) ?? []) {
      const bucket = Math.round((p - k) / 16);
      votes.set(bucket, (votes.get(bucket) ?? 0) + 1);
    }
  }
  let top = 0;
  for (const v of votes.values()) top = Math.max(top, v);
  if (top < Math.max(3, (text.length - 4) * 0.2)) return null;
  const good = [...votes]
    .filter(([, v]) => v >= 0.6 * top)
    .map(([b]) => b)
    .sort((a, b) => a - b);
  const best = good.find((b) => b * 16 >= after - 40) ?? [...votes].find(([, v]) => v === top)![0];
  const lo = Math.max(0, best * 16 - 40),
    hi = Math.min(src.length, best * 16 + text.length + 40);
  return alignSpan(text, src, lo, hi);
}

const pagesDir = join(SHARED, "fixtures", "pages");
const sources = { en: englishSource(), cs: czechSource() };
const indexes = { en: gramIndex(sources.en), cs: gramIndex(sources.cs) };
const engines = {
  en: await OcrEngine.create({ languages: ["eng"], models: "best_int" }),
  cs: await OcrEngine.create({ languages: ["ces"], models: "best_int" }),
};
mkdirSync(TRUTH_DIR, { recursive: true });
for (const gtFile of Array.from(new Bun.Glob("*.json").scanSync(join(pagesDir, "gt"))).sort()) {
  const gt = JSON.parse(readFileSync(join(pagesDir, "gt", gtFile), "utf8")) as { page_id: string; image: string; language: "en" | "cs" };
  const image = await decodeImage(join(pagesDir, "images", gt.image));
  const lang = gt.language;
  const src = sources[lang];
  const found: { start: number; end: number; hyphen: boolean; box: TruthLine["box"] }[] = [];
  let dropped = 0,
    readEnd = 0;
  for (const region of engines[lang].recognize(toGrey(image))) {
    for (const line of region.lines) {
      const raw = normalise(line.transcription);
      const hyphen = /[-\u00ad]$/.test(raw);
      const text = hyphen ? raw.slice(0, -1) : raw;
      const span = text.length >= 8 ? locate(text, src, indexes[lang], readEnd) : null;
      if (!span || span.dist > 0.2 * text.length) {
        dropped++;
        continue;
      }
      // the box of the words found in the span (OCR sometimes prefixes a line with marks of a figure beside it)
      const inSpan = src.slice(span.start, span.end);
      const words = (line.words ?? []).filter((w) => {
        const core = normalise(w.text).replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, "");
        return core.length > 0 && inSpan.includes(core);
      });
      if (words.length === 0) {
        dropped++;
        continue;
      }
      const box: TruthLine["box"] = [
        Math.min(...words.map((w) => w.x1)),
        Math.min(...words.map((w) => w.y1)),
        Math.max(...words.map((w) => w.x2)),
        Math.max(...words.map((w) => w.y2)),
      ];
      found.push({ start: span.start, end: span.end, hyphen, box });
      readEnd = span.end;
    }
  }
  // the prose runs on from line to line: a line starts where the one before it in the source ended
  found.sort((a, b) => a.start - b.start);
  const lines: TruthLine[] = [];
  let prevEnd = 0;
  for (const f of found) {
    let start = Math.max(f.start, prevEnd);
    while (src[start] === " ") start++;
    if (f.end - start < 3) {
      dropped++;
      continue;
    }
    let text = src.slice(start, f.end).trim();
    if (f.hyphen && /\p{L}/u.test(src[f.end] ?? "")) text += "-";
    lines.push({ box: f.box, text });
    prevEnd = f.end;
  }
  const page: PageTruth = { page: gt.page_id, width: image.width, height: image.height, lines };
  writeFileSync(join(TRUTH_DIR, `${gt.page_id}.json`), `${JSON.stringify(page, null, 1)}\n`);
  const chars = lines.reduce((a, l) => a + l.text.length, 0);
  console.log(
    `${gt.page_id} (${lang}): ${lines.length} truth lines, ${chars} characters; ${dropped} OCR lines not in the source (heads, captions, tables, figures)`,
  );
}
