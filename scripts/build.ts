/**
 * `bun run build`: one self-contained executable, dist/annopage. Files imported with
 * `with { type: "file" }` (PGlite's WebAssembly and data bundle, tesseract-core's WebAssembly and traineddata)
 * are embedded by `bun build --compile`.
 */
import { $ } from "bun";
import { mkdirSync, statSync } from "node:fs";

mkdirSync("dist", { recursive: true });
// Worker threads loaded by URL (new Worker(new URL("./x.ts", import.meta.url))) are entry points of their own.
const extra: string[] = ["src/media/tiff-worker.ts", "src/processor/ocr/ocr-worker.ts"];
const t0 = performance.now();
await $`bun build --compile --minify-syntax --sourcemap=none src/cli.ts ${extra} --outfile dist/annopage`.quiet();
const mb = statSync("dist/annopage").size / 1024 / 1024;
console.log(`built dist/annopage (${mb.toFixed(1)} MiB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
