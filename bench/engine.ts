#!/usr/bin/env bun
/**
 * `annopage process` page speed on ONE core (re-executes itself under `taskset -c 0` when available):
 * a 1600×2300 JPEG page (a dev-set page resampled to that size) through the real page pipeline
 * (decode → [OCR] → detection → ALTO + crops + render written to a temp dir).
 *
 *   bun bench/engine.ts [--image PATH] [--runs N] [--ocr-runs N] [--pages all]
 *
 * `--pages all` adds a table: every dev-set page resampled to 1600×2300, one timed run each (after one warm-up
 * run), with the default configuration and with English-only OCR, and the number of recognised characters.
 *
 * Targets (issue 6): detection + ALTO + crops + render < 250 ms; with OCR < 3 s.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeImage, encodeJpeg, resizeRgba } from "../src/media/index.ts";
import { parseProcessorConfig, DEFAULT_CONFIG_INI } from "../src/engine/config/engine-config.ts";
import { builtinAliases } from "../src/engine/config/aliases.ts";
import { createLogger } from "../src/engine/log.ts";
import { realIdServices } from "../src/engine/layout.ts";
import { processPage, type PageEnv } from "../src/engine/page.ts";
import { OcrEngine } from "../src/engine/ocr/tesseract.ts";
import { SHARED } from "../tests/helpers/shared.ts";

if (!process.env.BENCH_PINNED && Bun.which("taskset")) {
  const p = Bun.spawn(["taskset", "-c", "0", process.execPath, import.meta.path, ...process.argv.slice(2)], { stdio: ["inherit", "inherit", "inherit"], env: { ...process.env, BENCH_PINNED: "1" } });
  process.exit(await p.exited);
}

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const source = opt("--image") ?? join(import.meta.dir, "..", "..", "shared", "fixtures", "pages", "images", "dev_004.jpg");
const runs = Number(opt("--runs") ?? 10);
const ocrRuns = Number(opt("--ocr-runs") ?? 3);

const original = await decodeImage(await Bun.file(source).exists() ? source : `${SHARED}/fixtures/pages/images/dev_004.jpg`);
const page = resizeRgba(original, 1600, 2300);
const dir = mkdtempSync(join(tmpdir(), "annopage-bench-engine-"));
const imagePath = join(dir, "page.jpg");
writeFileSync(imagePath, encodeJpeg(page, 88));

const log = createLogger("ERROR");
const aliases = builtinAliases();
/** One OCR engine per language set (as one per `annopage process` run), created on first use. */
const ocrEngines = new Map<string, Promise<OcrEngine>>();
function env(ini: string, out = dir): PageEnv {
  const config = parseProcessorConfig(ini, null, aliases);
  return {
    config,
    metadata: {},
    out: { alto: join(out, "alto"), crops: join(out, "crops"), render: join(out, "renders"), embeddingsJsonLines: false },
    ids: realIdServices,
    log,
    getOcr: () => {
      const langs = config.ocrLanguages ?? ["eng"];
      const k = langs.join("+");
      if (!ocrEngines.has(k)) ocrEngines.set(k, OcrEngine.create(langs));
      return ocrEngines.get(k)!;
    },
  };
}
for (const d of ["alto", "crops", "renders"]) Bun.spawnSync(["mkdir", "-p", join(dir, d)]);

async function measure(label: string, e: PageEnv, n: number): Promise<number[]> {
  const times: number[] = [];
  let elements = 0, lines = 0;
  for (let i = 0; i < n + 1; i++) {
    const t = performance.now();
    const r = await processPage({ pageId: "page", imageName: "page.jpg", imagePath }, e);
    const ms = performance.now() - t;
    if (i > 0) times.push(ms); // first run warms up (and loads the OCR models)
    elements = r.elements;
    lines = r.textLines;
  }
  const s = [...times].sort((a, b) => a - b);
  const med = s[Math.floor((s.length - 1) / 2)]!;
  console.log(`${label.padEnd(44)} median ${med.toFixed(0).padStart(6)} ms   min ${s[0]!.toFixed(0).padStart(6)} ms   max ${s.at(-1)!.toFixed(0).padStart(6)} ms   (${n} runs; ${elements} elements, ${lines} text lines)`);
  return s;
}

console.log(`page 1600x2300 JPEG from ${source}; ${process.env.BENCH_PINNED ? "pinned to CPU 0" : "not pinned (no taskset)"}`);
const det = await measure("detection + ALTO + crops + render", env("[DET]\nMETHOD = YOLO_DETECTION\n"), runs);
const full = await measure("default config: OCR (ces+eng+deu) + the same", env(DEFAULT_CONFIG_INI), ocrRuns);
const ocrEng = await measure("OCR eng only + the same", env("[OCR]\nMETHOD = TESSERACT_OCR\nLANGUAGES = eng\n[DET]\nMETHOD = YOLO_DETECTION\n"), ocrRuns);
void ocrEng;

if (opt("--pages") === "all") {
  // Every dev-set page at 1600×2300: how OCR time depends on the page (text density), one run each.
  const imagesDir = `${SHARED}/fixtures/pages/images`;
  const names = (await Array.fromAsync(new Bun.Glob("*.jpg").scan(imagesDir))).sort();
  const configs = [
    ["default (ces+eng+deu)", env(DEFAULT_CONFIG_INI)],
    ["eng only", env("[OCR]\nMETHOD = TESSERACT_OCR\nLANGUAGES = eng\n[DET]\nMETHOD = YOLO_DETECTION\n")],
  ] as const;
  for (const [, e] of configs) await processPage({ pageId: "warm", imageName: "page.jpg", imagePath }, e); // JIT warm-up
  console.log(`\nper page (1600x2300, one run each)     ${configs.map(([l]) => l.padStart(22)).join("")}   text lines`);
  const all: number[][] = configs.map(() => []);
  for (const name of names) {
    const p = join(dir, `p-${name}`);
    writeFileSync(p, encodeJpeg(resizeRgba(await decodeImage(join(imagesDir, name)), 1600, 2300), 88));
    const cells: string[] = [];
    let lines = 0;
    for (const [i, [, e]] of configs.entries()) {
      const t = performance.now();
      const r = await processPage({ pageId: name, imageName: name, imagePath: p }, e);
      const ms = performance.now() - t;
      all[i]!.push(ms);
      cells.push(`${ms.toFixed(0)} ms`.padStart(22));
      lines = r.textLines;
    }
    console.log(`  ${name.padEnd(36)}${cells.join("")}   ${lines}`);
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
  console.log(`  ${"median".padEnd(36)}${all.map((xs) => `${med(xs).toFixed(0)} ms`.padStart(22)).join("")}`);
  console.log(`  ${"pages under 3 s".padEnd(36)}${all.map((xs) => `${xs.filter((x) => x < 3000).length}/${xs.length}`.padStart(22)).join("")}`);
}
rmSync(dir, { recursive: true, force: true });
const medDet = det[Math.floor((det.length - 1) / 2)]!;
const medFull = full[Math.floor((full.length - 1) / 2)]!;
console.log(`targets: detection path < 250 ms: ${medDet < 250 ? "met" : "NOT met"}; with OCR < 3000 ms: ${medFull < 3000 ? "met" : "NOT met"}`);
