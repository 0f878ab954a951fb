/**
 * The JPEG inputs of tests/media/jpeg-structure.test.ts, and libjpeg's recorded verdict on each of them.
 *
 * The inputs are built from committed files (tests/fixtures/jpeg/: a baseline and a progressive 160×230 copy of
 * dev_003, and that baseline with arithmetic coding) and the shared page dev_003.jpg, by deterministic edits and
 * seeded mutations. libjpeg's verdict on each (`djpeg` exits 0, 2 on warnings only, 1 on a fatal error) is recorded in
 * tests/fixtures/jpeg/libjpeg-verdicts.json with the input's SHA-256 by scripts/record-libjpeg-verdicts.ts, which needs
 * djpeg (Debian's libjpeg-turbo-progs); the tests read the record, so they need no djpeg.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SHARED } from "./shared.ts";

export type Verdict = "ok" | "warning" | "fatal";

const JPEG_FIXTURES = join(import.meta.dir, "..", "fixtures", "jpeg");
export const VERDICTS_FILE = join(JPEG_FIXTURES, "libjpeg-verdicts.json");
const RECORD_COMMAND = "bun scripts/record-libjpeg-verdicts.ts";

const read = (path: string) => new Uint8Array(readFileSync(path));
/** The full page (1671×2367, baseline). */
export const page = read(join(SHARED, "fixtures", "pages", "images", "dev_003.jpg"));
/** 160×230 copies of the page written by Bun.Image's libjpeg-turbo (quality 80), baseline and progressive. */
export const baseline = read(join(JPEG_FIXTURES, "baseline.jpg"));
export const progressive = read(join(JPEG_FIXTURES, "progressive.jpg"));
/** The baseline copy with arithmetic coding (`jpegtran -arithmetic`). */
export const arithmetic = read(join(JPEG_FIXTURES, "arithmetic.jpg"));

export const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const join2 = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

/** [start, end) of every marker segment: the segment headers of the frame, the tables and each scan. */
function segments(b: Uint8Array): [number, number][] {
  const out: [number, number][] = [];
  let at = 2;
  while (at < b.length - 1) {
    const m = b[at + 1]!;
    if (b[at] !== 0xff || m === 0 || m === 0xff || (m >= 0xd0 && m <= 0xd7)) {
      at++;
      continue;
    }
    if (m === 0xd9) break;
    const end = at + 2 + ((b[at + 2]! << 8) | b[at + 3]!);
    out.push([at, end]);
    at = end;
  }
  return out;
}

/** A seeded mutation of one marker segment: bytes changed, the segment dropped or doubled, garbage before it, or its marker code changed. */
function mutate(b: Uint8Array, next: () => number): Uint8Array {
  const int = (n: number) => Math.floor(next() * n);
  const segs = segments(b);
  const [s, e] = segs[int(segs.length)]!;
  const kind = int(10);
  if (kind < 6) {
    const m = b.slice();
    for (let i = 0, n = 1 + int(2); i < n; i++) m[s + int(e - s)] = int(256);
    return m;
  }
  if (kind === 6) return join2(b.subarray(0, s), b.subarray(e));
  if (kind === 7) return join2(b.subarray(0, e), b.subarray(s, e), b.subarray(e));
  if (kind === 8)
    return join2(
      b.subarray(0, s),
      Uint8Array.from({ length: 1 + int(4) }, () => int(256)),
      b.subarray(s),
    );
  const m = b.slice();
  // Any marker code from FFC0 on, but not SOF3 (lossless): the libjpeg-turbo 3 in skia decodes it, Debian's 2.1 not.
  do m[s + 1] = 0xc0 + int(64);
  while (m[s + 1] === 0xc3);
  return m;
}

/** 300 seeded mutations of the marker segments, alternately of the baseline and the progressive copy. */
export function mutations(): Uint8Array[] {
  let seed = 20261128;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  return Array.from({ length: 300 }, (_, i) => mutate(i % 2 ? progressive : baseline, next));
}

function sosOf(b: Uint8Array): number {
  let sos = 2;
  while (!(b[sos] === 0xff && b[sos + 1] === 0xda)) sos++;
  return sos;
}

/** The page with 50 KB of zeros inside its scan: libjpeg warns and decodes (so does OpenCV, the reference's decoder). */
export function zeroedScan(): Uint8Array {
  const sos = sosOf(page);
  const zeroed = page.slice();
  zeroed.fill(0, sos + 5000, sos + 55_000);
  return zeroed;
}

/** The page with an unknown marker code (FF05) inside its scan data, which stops libjpeg. */
export function markerInScan(): Uint8Array {
  const marked = page.slice();
  marked.set([0xff, 0x05], sosOf(page) + 20_000);
  return marked;
}

/** One broken file per rule of the walk, each named, with the problem the walk must report. */
export function ruleCases(): [string, Uint8Array, RegExp][] {
  const segOf = (b: Uint8Array, marker: number, nth = 0) => segments(b).filter(([s]) => b[s + 1] === marker)[nth]!;
  const cases: [string, Uint8Array, RegExp][] = [];
  // baseline: the one interleaved scan (header and data) twice
  {
    const [s] = segOf(baseline, 0xda);
    const eoi = baseline.length - 2;
    cases.push([
      "scan after the full scan",
      join2(baseline.subarray(0, eoi), baseline.subarray(s, eoi), baseline.subarray(eoi)),
      /second scan after a scan of all/,
    ]);
  }
  // a restart-interval segment of the wrong length
  {
    const [s] = segOf(baseline, 0xda);
    cases.push([
      "DRI length 5",
      join2(baseline.subarray(0, s), Uint8Array.of(0xff, 0xdd, 0, 5, 0, 4, 0), baseline.subarray(s)),
      /restart interval/,
    ]);
  }
  // a second start of image, an unsupported process, a second frame header
  cases.push(["second SOI", join2(baseline.subarray(0, 2), Uint8Array.of(0xff, 0xd8), baseline.subarray(2)), /second start-of-image/]);
  {
    const [s, e] = segOf(baseline, 0xc0);
    const sof5 = baseline.slice();
    sof5[s + 1] = 0xc5;
    cases.push(["SOF5", sof5, /coding process/]);
    cases.push(["two frame headers", join2(baseline.subarray(0, e), baseline.subarray(s, e), baseline.subarray(e)), /second frame header/]);
  }
  // progressive: a later scan with a bad successive-approximation value, with a table number that does not exist
  {
    const [s, e] = segOf(progressive, 0xda, 3);
    const al = progressive.slice();
    al[e - 1] = 0x0e; // Ah 0, Al 14
    cases.push(["Al 14", al, /progressive scan has bad parameters/]);
    const table = progressive.slice();
    table[s + 6] = (table[s + 6]! & 0xf0) | 3; // its component's AC table: 3, never defined
    cases.push(["undefined table", table, /never defined/]);
  }
  // progressive: a Huffman table that uses the all-ones code of a length (one code of length 1, two of length 2),
  // which libjpeg reserves, replacing AC table 0 right before the AC scan that uses it
  {
    const [s, e] = segOf(progressive, 0xc4, 2);
    if (progressive[s + 4] !== 0x10) throw new Error("the third DHT of progressive.jpg is not AC table 0");
    const counts = [1, 2, ...Array(14).fill(0)];
    const table = Uint8Array.of(0xff, 0xc4, 0, 2 + 1 + 16 + 3, 0x10, ...counts, 0x00, 0x01, 0x02);
    cases.push(["all-ones code", join2(progressive.subarray(0, s), table, progressive.subarray(e)), /more codes than fit/]);
  }
  // a component whose quantisation table is never defined
  {
    const [s] = segOf(baseline, 0xc0);
    const q = baseline.slice();
    q[s + 10 + 3 * 2 + 2] = 3; // third component: table 3
    cases.push(["missing quantisation table", q, /quantisation table/]);
  }
  return cases;
}

/** Every input given a libjpeg verdict, by name: what the record script records and the tests look up. */
export function allCases(): [string, Uint8Array][] {
  return [
    ["baseline", baseline],
    ["progressive", progressive],
    ["arithmetic", arithmetic],
    ["zeroed scan", zeroedScan()],
    ["marker in scan", markerInScan()],
    ...ruleCases().map(([name, bytes]): [string, Uint8Array] => [name, bytes]),
    ...mutations().map((bytes, i): [string, Uint8Array] => [`mutation ${i}`, bytes]),
  ];
}

export interface VerdictRecord {
  libjpeg: string;
  verdicts: Record<string, { sha256: string; verdict: Verdict }>;
}

let record: VerdictRecord | undefined;

/** libjpeg's recorded verdict on the named input; a missing record or one for other bytes is an error naming the fix. */
export function libjpegVerdict(name: string, bytes: Uint8Array): Verdict {
  record ??= JSON.parse(readFileSync(VERDICTS_FILE, "utf8")) as VerdictRecord;
  const r = record.verdicts[name];
  if (!r) throw new Error(`no libjpeg verdict recorded for "${name}": run ${RECORD_COMMAND} (needs djpeg)`);
  if (r.sha256 !== sha256(bytes))
    throw new Error(`the input "${name}" changed since libjpeg's verdict on it was recorded: run ${RECORD_COMMAND} (needs djpeg)`);
  return r.verdict;
}
