#!/usr/bin/env bun
/**
 * Detection quality on a labelled page set (default: the dev set in /work/shared/fixtures/pages).
 *
 *   bun bench/detect-quality.ts [--set DIR] [--out DIR] [--per-page] [--trace] [--scale F] [--grey] [--jpeg Q] [--ocr]
 *
 * --scale F resamples pages first (another scan resolution), --grey withholds colour, --jpeg Q recompresses: the
 * robustness checks that the constants are not tied to the dev set's resolution and encoding.
 *
 * Runs the weight-free detector on every image of DIR/images with no text lines given (the evidence the processor
 * has without ALTO input and before OCR) — or, with --ocr, with the page's OCR lines (what the processor has after
 * OCR: caption evidence; OCR is cached per page in bench/out/ocr-cache), writes minimal ALTO per page and runs the set's own scorer (DIR/score.ts,
 * else the dev set's — e.g. for a set written by bench/synth-pages.ts).
 */
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { predictSet } from "./detect-eval.ts";
import { SHARED } from "../tests/helpers/shared.ts";

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const setDir = opt("--set") ?? `${SHARED}/fixtures/pages`;
const outDir = opt("--out") ?? mkdtempSync(join(tmpdir(), "detect-quality-"));
mkdirSync(outDir, { recursive: true });

const scale = opt("--scale");
const jpeg = opt("--jpeg");
const preds = await predictSet(setDir, outDir, {
  scale: scale ? Number(scale) : undefined,
  greyOnly: args.includes("--grey"),
  jpegQuality: jpeg ? Number(jpeg) : undefined,
  ocr: args.includes("--ocr"),
});
for (const p of preds) {
  console.log(`${p.id}: ${p.elements.length} elements, ${p.ms.toFixed(0)} ms`);
  if (!args.includes("--trace")) continue;
  for (const e of p.elements) {
    const f = e.features;
    const b = e.bbox;
    console.log(
      `  ${e.category.padEnd(12)} ${e.confidence.toFixed(2)} [${b.x1},${b.y1},${b.x2 - b.x1},${b.y2 - b.y1}] ` +
        `wG ${f.wG.toFixed(1)} hG ${f.hG.toFixed(1)} ink ${f.inkFrac.toFixed(2)} tone ${f.toneFrac.toFixed(2)} mid ${f.midFrac.toFixed(2)} ` +
        `col ${f.colourFrac.toFixed(2)} hL ${f.hLines.length} vL ${f.vLines.length} txt ${f.textComps} sm ${f.smallComps} big ${f.bigComps} ` +
        `lg ${f.largestShare.toFixed(2)} sym ${f.symmetry.toFixed(2)} tall ${f.tallComps}/${f.tallAreaCv.toFixed(2)} right ${f.linesRight} beside ${f.linesBeside} cover ${f.textCover.toFixed(2)}`,
    );
  }
}
const ms = preds.map((p) => p.ms).sort((x, y) => x - y);
if (ms.length) console.log(`detect time per page: median ${ms[ms.length >> 1]!.toFixed(0)} ms, max ${ms[ms.length - 1]!.toFixed(0)} ms`);
// a generated set (bench/synth-pages.ts) has no scorer of its own: use the dev set's
const scorer = existsSync(join(setDir, "score.ts")) ? join(setDir, "score.ts") : `${SHARED}/fixtures/pages/score.ts`;
const p = Bun.spawnSync(
  [process.execPath, scorer, "--gt", setDir, "--pred", outDir, ...(args.includes("--per-page") ? ["--per-page"] : [])],
  { stdout: "pipe", stderr: "pipe" },
);
process.stdout.write(p.stdout.toString());
process.stderr.write(p.stderr.toString());
console.log(`predictions: ${outDir}`);
