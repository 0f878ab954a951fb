#!/usr/bin/env bun
/**
 * Detection speed on one core: a 1600×2300 JPEG page (a dev-set page resampled to that size).
 *
 *   bun bench/detect-speed.ts [--image PATH] [--runs N]
 *   bun bench/detect-speed.ts --set DIR [--runs N]     # every page of DIR/images at its own size: detect wall + CPU
 *
 * Reports median and p90 over N runs of: JPEG decode to RGBA, grey conversion, detection, and the stages inside
 * detection (analysis, candidates, classification). "detect CPU" is the process CPU time of the detection (user + system):
 * the figure to compare on a loaded machine, where wall time includes waiting for a core.
 */
import { decodeImage, encodeJpeg, resizeRgba, toGrey } from "../src/media/index.ts";
import { analysePage } from "../src/processor/detect/analysis.ts";
import { findCandidates } from "../src/processor/detect/regions.ts";
import { detectElements } from "../src/processor/detect/index.ts";
import { SHARED } from "../tests/helpers/shared.ts";

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const source = opt("--image") ?? `${SHARED}/fixtures/pages/images/dev_008.jpg`;
const runs = Number(opt("--runs") ?? 15);

const setDir = opt("--set");
if (setDir) {
  const { readdirSync } = await import("node:fs");
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  for (const f of readdirSync(`${setDir}/images`).sort()) {
    const img = await decodeImage(`${setDir}/images/${f}`);
    const input = { grey: toGrey(img).data, width: img.width, height: img.height, rgba: img.data };
    const wall: number[] = [];
    const cpuMs: number[] = [];
    for (let r = 0; r < runs + 1; r++) {
      const t = performance.now();
      const c = process.cpuUsage();
      detectElements(input);
      const d = process.cpuUsage(c);
      if (r === 0) continue; // warm-up
      wall.push(performance.now() - t);
      cpuMs.push((d.user + d.system) / 1000);
    }
    console.log(
      `${f.padEnd(14)} ${img.width}×${img.height}  detect median ${med(wall).toFixed(0)} ms wall, ${med(cpuMs).toFixed(0)} ms CPU`,
    );
  }
  process.exit(0);
}

const original = await decodeImage(source);
const page = original.width === 1600 && original.height === 2300 ? original : resizeRgba(original, 1600, 2300);
const jpeg = encodeJpeg(page, 88);

const times: Record<string, number[]> = { decode: [], grey: [], detect: [], "detect CPU": [], analyse: [], candidates: [] };
let found = 0;
for (let r = 0; r < runs + 2; r++) {
  let t = performance.now();
  const img = await decodeImage(jpeg);
  const tDecode = performance.now() - t;
  t = performance.now();
  const grey = toGrey(img);
  const tGrey = performance.now() - t;
  const input = { grey: grey.data, width: img.width, height: img.height, rgba: img.data };
  t = performance.now();
  const cpu0 = process.cpuUsage();
  found = detectElements(input).length;
  const tDetect = performance.now() - t;
  const cpu = process.cpuUsage(cpu0);
  const tDetectCpu = (cpu.user + cpu.system) / 1000;
  t = performance.now();
  const a = analysePage(input);
  const tAnalyse = performance.now() - t;
  t = performance.now();
  findCandidates(a);
  const tCand = performance.now() - t;
  if (r < 2) continue; // warm-up
  times.decode!.push(tDecode);
  times.grey!.push(tGrey);
  times.detect!.push(tDetect);
  times["detect CPU"]!.push(tDetectCpu);
  times.analyse!.push(tAnalyse);
  times.candidates!.push(tCand);
}
const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
console.log(`page 1600×2300 JPEG (${(jpeg.length / 1024).toFixed(0)} KiB) from ${source}, ${runs} runs, ${found} elements`);
for (const [k, v] of Object.entries(times))
  console.log(`${k.padEnd(11)} median ${q(v, 0.5).toFixed(1)} ms   p90 ${q(v, 0.9).toFixed(1)} ms`);
