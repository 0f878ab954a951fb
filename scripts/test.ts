/**
 * `npm test`: the test files run in parallel — each gets its own database (tests/helpers/db.ts), ports and temporary
 * directories — in Bun's worker processes, the slowest first (tests/timings.json), then one closing line
 * `N passed, N failed`. The exit code is non-zero when a test failed, a file could not run, or no test ran.
 *
 *   bun scripts/test.ts [files or name filters…] [bun test flags…]
 *   TEST_PARALLEL=N     worker processes (default: CPU cores + 1: many tests wait on child processes and sockets)
 *   bun scripts/test.ts --update-timings   also rewrite tests/timings.json with this run's durations per file
 */
import { availableParallelism } from "node:os";
import { join } from "node:path";

const REPO = join(import.meta.dir, "..");
const parallel = Number(process.env.TEST_PARALLEL ?? availableParallelism() + 1);
if (!Number.isInteger(parallel) || parallel < 1) {
  console.error(`TEST_PARALLEL must be a whole number of at least 1, not ${process.env.TEST_PARALLEL}`);
  process.exit(2);
}

// --timeout as well as the preload: without --parallel, Bun keeps the preload's default timeout for the first file only
const cmd = [
  process.execPath,
  "test",
  `--parallel=${parallel}`,
  "--timeout=120000",
  `--timings=${join(REPO, "tests", "timings.json")}`,
  ...process.argv.slice(2),
];
const proc = Bun.spawn(cmd, { cwd: REPO, stdin: "ignore", stdout: "pipe", stderr: "pipe" });

/** Copies a stream to ours, keeping its last 16 KB for the summary. */
async function relay(from: ReadableStream<Uint8Array>, to: NodeJS.WriteStream): Promise<string> {
  const dec = new TextDecoder();
  let tail = "";
  for await (const chunk of from) {
    to.write(chunk);
    tail = (tail + dec.decode(chunk, { stream: true })).slice(-16_384);
  }
  return tail;
}

const [out, err, code] = await Promise.all([relay(proc.stdout, process.stdout), relay(proc.stderr, process.stderr), proc.exited]);
const tail = `${out}\n${err}`;
// Bun's own summary: " 30 pass", " 0 fail" (the last ones printed)
const count = (word: string) => Number([...tail.matchAll(new RegExp(`^\\s*(\\d+) ${word}$`, "gm"))].at(-1)?.[1] ?? NaN);
const passed = count("pass");
const failed = count("fail");
if (Number.isNaN(passed) || Number.isNaN(failed)) {
  console.log(`bun test printed no summary (exit code ${code})`);
  process.exit(code || 1);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(code !== 0 ? code : failed > 0 || passed === 0 ? 1 : 0);
