/**
 * Records libjpeg's verdict on every input of tests/media/jpeg-structure.test.ts (tests/helpers/jpeg-cases.ts) in
 * tests/fixtures/jpeg/libjpeg-verdicts.json: `djpeg` exits 0 (ok), 2 (warnings only) or 1 (fatal error). Needs djpeg
 * and jpegtran (Debian: apt-get install libjpeg-turbo-progs); the tests read the record and need neither.
 *
 *   bun scripts/record-libjpeg-verdicts.ts               record the verdicts (after changing the cases)
 *   bun scripts/record-libjpeg-verdicts.ts --check       compare djpeg's verdicts with the record; exit 1 on a difference
 *   bun scripts/record-libjpeg-verdicts.ts --new-inputs  also rewrite the input copies in tests/fixtures/jpeg/ first
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SHARED } from "../tests/helpers/shared.ts";

const FIXTURES = join(import.meta.dir, "..", "tests", "fixtures", "jpeg");
const check = process.argv.includes("--check");
const tmp = mkdtempSync(join(tmpdir(), "annopage-djpeg-"));
process.on("exit", () => rmSync(tmp, { recursive: true, force: true }));

function run(cmd: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 20_000 });
  if (r.error) {
    console.error(`${cmd} could not be run (${r.error.message}): apt-get install libjpeg-turbo-progs`);
    process.exit(2);
  }
  return r;
}

if (process.argv.includes("--new-inputs")) {
  const page = new Uint8Array(readFileSync(join(SHARED, "fixtures", "pages", "images", "dev_003.jpg")));
  mkdirSync(FIXTURES, { recursive: true });
  writeFileSync(join(FIXTURES, "baseline.jpg"), await new Bun.Image(page).resize(160, 230).jpeg({ quality: 80 }).bytes());
  writeFileSync(
    join(FIXTURES, "progressive.jpg"),
    await new Bun.Image(page).resize(160, 230).jpeg({ quality: 80, progressive: true }).bytes(),
  );
  const t = run("jpegtran", ["-arithmetic", "-outfile", join(FIXTURES, "arithmetic.jpg"), join(FIXTURES, "baseline.jpg")]);
  if (t.status !== 0) throw new Error(`jpegtran failed: ${t.stderr}`);
}

const { allCases, sha256, VERDICTS_FILE } = await import("../tests/helpers/jpeg-cases.ts");
type Verdict = "ok" | "warning" | "fatal";

function djpeg(bytes: Uint8Array): Verdict {
  const path = join(tmp, "m.jpg");
  writeFileSync(path, bytes);
  const r = run("djpeg", ["-outfile", "/dev/null", path]);
  if (r.status === 0) return "ok";
  if (r.status === 2) return "warning";
  if (r.status === 1) return "fatal";
  throw new Error(`djpeg exited with ${r.status}: ${r.stderr}`);
}

const libjpeg = run("djpeg", ["-version"]).stderr.trim();
const verdicts: Record<string, { sha256: string; verdict: Verdict }> = {};
for (const [name, bytes] of allCases()) verdicts[name] = { sha256: sha256(bytes), verdict: djpeg(bytes) };

if (check) {
  const old = JSON.parse(readFileSync(VERDICTS_FILE, "utf8")) as { verdicts: typeof verdicts };
  const diff = Object.keys({ ...old.verdicts, ...verdicts }).filter((k) => JSON.stringify(old.verdicts[k]) !== JSON.stringify(verdicts[k]));
  for (const k of diff) console.log(`${k}: recorded ${JSON.stringify(old.verdicts[k])}, ${libjpeg} says ${JSON.stringify(verdicts[k])}`);
  console.log(`${Object.keys(verdicts).length} inputs, ${diff.length} differ from the record`);
  process.exit(diff.length ? 1 : 0);
}
const lines = Object.entries(verdicts).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
writeFileSync(VERDICTS_FILE, `{\n "libjpeg": ${JSON.stringify(libjpeg)},\n "verdicts": {\n${lines.join(",\n")}\n }\n}\n`);
const tally: Record<string, number> = {};
for (const v of Object.values(verdicts)) tally[v.verdict] = (tally[v.verdict] ?? 0) + 1;
console.log(`recorded ${Object.keys(verdicts).length} verdicts of ${libjpeg} in ${VERDICTS_FILE}: ${JSON.stringify(tally)}`);
