/**
 * `npm run bench`: runs every benchmark in BENCHES one after the other, each in its own process,
 * and fails if one fails. Add a benchmark by adding its file name to the list.
 * `bun bench/run.ts server` runs only the named ones.
 */
import { join } from "node:path";

const BENCHES = [
  "server.ts",
  "big-table.ts",
  "worker.ts",
  "engine.ts",
  "detect-speed.ts",
  "detect-quality.ts",
  "pixel-bomb.ts",
  "ui.ts",
  "fuzz.ts",
];

const only = process.argv.slice(2);
const selected = only.length ? BENCHES.filter((b) => only.some((o) => b === o || b === `${o}.ts`)) : BENCHES;
if (only.length && selected.length === 0) {
  console.error(`unknown benchmark(s): ${only.join(", ")}; known: ${BENCHES.join(", ")}`);
  process.exit(2);
}
let failed = 0;
for (const b of selected) {
  console.log(`\n=== bench/${b}`);
  const p = Bun.spawn([process.execPath, join(import.meta.dir, b)], { stdio: ["inherit", "inherit", "inherit"] });
  if ((await p.exited) !== 0) failed++;
}
process.exit(failed ? 1 : 0);
