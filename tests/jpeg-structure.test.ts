/**
 * The JPEG upload check decodes no pixels: it walks the marker segments as libjpeg reads them (src/media/
 * jpeg-structure.ts) and lets the decoder read the header. These tests hold it to libjpeg's own verdicts: `djpeg`
 * (libjpeg-turbo) exits 1 on a fatal error and 2 on warnings only, such as damaged entropy-coded data. Over seeded
 * mutations of the marker segments of a baseline and a progressive page, every file libjpeg refuses is refused, and
 * the walk refuses nothing libjpeg decodes.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { probeImage } from "../src/media/index.ts";
import { jpegStructureProblem } from "../src/media/jpeg-structure.ts";
import { SHARED } from "./helpers/shared.ts";

const dir = mkdtempSync(join(tmpdir(), "annopage-jpeg-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const page = new Uint8Array(await Bun.file(`${SHARED}/fixtures/pages/images/dev_003.jpg`).arrayBuffer());
const baseline = await new Bun.Image(page).resize(160, 230).jpeg({ quality: 80 }).bytes();
const progressive = await new Bun.Image(page).resize(160, 230).jpeg({ quality: 80, progressive: true }).bytes();

type Verdict = "ok" | "warning" | "fatal";

/** libjpeg's verdict on the bytes. */
function djpeg(bytes: Uint8Array): Verdict {
  const path = join(dir, "m.jpg");
  writeFileSync(path, bytes);
  const r = spawnSync("djpeg", ["-outfile", "/dev/null", path], { encoding: "utf8", timeout: 20_000 });
  if (r.error) throw r.error;
  if (r.status === 0) return "ok";
  if (r.status === 2) return "warning";
  if (r.status === 1) return "fatal";
  throw new Error(`djpeg exited with ${r.status}: ${r.stderr}`);
}

async function probe(bytes: Uint8Array): Promise<"ok" | "refused"> {
  try {
    await probeImage(bytes);
    return "ok";
  } catch {
    return "refused";
  }
}

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
  const join = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
  if (kind < 6) {
    const m = b.slice();
    for (let i = 0, n = 1 + int(2); i < n; i++) m[s + int(e - s)] = int(256);
    return m;
  }
  if (kind === 6) return join(b.subarray(0, s), b.subarray(e));
  if (kind === 7) return join(b.subarray(0, e), b.subarray(s, e), b.subarray(e));
  if (kind === 8) return join(b.subarray(0, s), Uint8Array.from({ length: 1 + int(4) }, () => int(256)), b.subarray(s));
  const m = b.slice();
  // Any marker code from FFC0 on, but not SOF3 (lossless): the libjpeg-turbo 3 in skia decodes it, Debian's 2.1 not.
  do m[s + 1] = 0xc0 + int(64);
  while (m[s + 1] === 0xc3);
  return m;
}

describe("JPEG structure check", () => {
  test("the pages themselves, arithmetic coding and damaged entropy-coded data pass, as libjpeg decodes them", async () => {
    expect(djpeg(baseline)).toBe("ok");
    expect(djpeg(progressive)).toBe("ok");
    for (const b of [baseline, progressive, page]) expect(jpegStructureProblem(b)).toBeNull();
    const arithPath = join(dir, "arith.jpg");
    const t = spawnSync("jpegtran", ["-arithmetic", "-outfile", arithPath, `${SHARED}/fixtures/pages/images/dev_003.jpg`]);
    expect(t.status).toBe(0);
    const arith = new Uint8Array(await Bun.file(arithPath).arrayBuffer());
    expect(jpegStructureProblem(arith)).toBeNull();
    expect(await probeImage(arith)).toEqual({ format: "jpeg", width: 1671, height: 2367 });
    // 50 KB of zeros inside the scan: libjpeg warns and decodes (so does OpenCV, the reference's decoder)
    let sos = 2;
    while (!(page[sos] === 0xff && page[sos + 1] === 0xda)) sos++;
    const zeroed = page.slice();
    zeroed.fill(0, sos + 5000, sos + 55_000);
    expect(djpeg(zeroed)).toBe("warning");
    expect(await probe(zeroed)).toBe("ok");
    // an unknown marker code inside the scan data stops libjpeg, and the check
    const marked = page.slice();
    marked.set([0xff, 0x05], sos + 20_000);
    expect(djpeg(marked)).toBe("fatal");
    expect(jpegStructureProblem(marked)).toBe("JPEG has an unknown marker FF5");
    expect(await probe(marked)).toBe("refused");
  });

  test("each rule of the walk matches a fatal error of libjpeg's", () => {
    const join = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
    const segOf = (b: Uint8Array, marker: number, nth = 0) => segments(b).filter(([s]) => b[s + 1] === marker)[nth]!;
    const cases: [string, Uint8Array, RegExp][] = [];
    // baseline: the one interleaved scan (header and data) twice
    {
      const [s] = segOf(baseline, 0xda);
      const eoi = baseline.length - 2;
      cases.push(["scan after the full scan", join(baseline.subarray(0, eoi), baseline.subarray(s, eoi), baseline.subarray(eoi)), /second scan after a scan of all/]);
    }
    // a restart-interval segment of the wrong length
    {
      const [s] = segOf(baseline, 0xda);
      cases.push(["DRI length 5", join(baseline.subarray(0, s), Uint8Array.of(0xff, 0xdd, 0, 5, 0, 4, 0), baseline.subarray(s)), /restart interval/]);
    }
    // a second start of image, an unsupported process, a second frame header
    cases.push(["second SOI", join(baseline.subarray(0, 2), Uint8Array.of(0xff, 0xd8), baseline.subarray(2)), /second start-of-image/]);
    {
      const [s, e] = segOf(baseline, 0xc0);
      const sof5 = baseline.slice();
      sof5[s + 1] = 0xc5;
      cases.push(["SOF5", sof5, /coding process/]);
      cases.push(["two frame headers", join(baseline.subarray(0, e), baseline.subarray(s, e), baseline.subarray(e)), /second frame header/]);
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
      expect(progressive[s + 4]).toBe(0x10);
      const counts = [1, 2, ...Array(14).fill(0)];
      const table = Uint8Array.of(0xff, 0xc4, 0, 2 + 1 + 16 + 3, 0x10, ...counts, 0x00, 0x01, 0x02);
      cases.push(["all-ones code", join(progressive.subarray(0, s), table, progressive.subarray(e)), /more codes than fit/]);
    }
    // a component whose quantisation table is never defined
    {
      const [s] = segOf(baseline, 0xc0);
      const q = baseline.slice();
      q[s + 10 + 3 * 2 + 2] = 3; // third component: table 3
      cases.push(["missing quantisation table", q, /quantisation table/]);
    }
    for (const [what, bytes, problem] of cases) {
      expect({ what, lib: djpeg(bytes) }).toEqual({ what, lib: "fatal" });
      expect({ what, walk: jpegStructureProblem(bytes) }).toEqual({ what, walk: expect.stringMatching(problem) });
    }
  });

  test("over 300 seeded mutations of the marker segments, the upload check refuses exactly what libjpeg refuses, or more only where the decoder's header read or the size limit does", async () => {
    let seed = 20261128;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const tally: Record<string, number> = {};
    for (let i = 0; i < 300; i++) {
      const m = mutate(i % 2 ? progressive : baseline, next);
      const lib = djpeg(m);
      const walk = jpegStructureProblem(m);
      const verdict = await probe(m);
      tally[`${lib}/${verdict}`] = (tally[`${lib}/${verdict}`] ?? 0) + 1;
      // libjpeg's fatal errors are all refused …
      if (lib === "fatal") expect({ i, verdict }).toEqual({ i, verdict: "refused" });
      // … and the walk itself refuses nothing libjpeg decodes
      else expect({ i, lib, walk }).toEqual({ i, lib, walk: null });
    }
    // the mutations reach every verdict, so both directions were exercised
    expect(tally["fatal/refused"]).toBeGreaterThan(100);
    expect(tally["ok/ok"]).toBeGreaterThan(30);
    expect(tally["warning/ok"]).toBeGreaterThan(30);
  }, 120_000);
});
