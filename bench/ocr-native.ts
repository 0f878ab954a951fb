#!/usr/bin/env bun
/**
 * Would native Tesseract be faster than our WebAssembly core? An A/B on one core: each dev page at 1600×2300, read
 * whole (page segmentation mode 3, ces+eng+deu, the vendored tessdata_fast) by the system's libtesseract through
 * bun:ffi and by src/processor/ocr/tesseract.ts, interleaved, CPU seconds of the best of N runs each (the machine is
 * shared: the best run is the one least disturbed). Needs libtesseract.so.5 (Debian: apt-get install libtesseract5);
 * the product does not use it.
 *
 *   OMP_THREAD_LIMIT=1 taskset -c 0 bun bench/ocr-native.ts [--runs N] [dev_001,dev_004]
 *
 * Measured 2026-12-06 (libtesseract 5.3.0 with AVX2/FMA, Bun 1.4.4, best of 2, after a warm-up): native used 1.07–1.21×
 * less CPU than the WebAssembly core (dev_001 2.85 → 2.43 s, dev_004 8.39 → 7.58 s). With the small fast models the time is not in
 * the dot products but in Tesseract's list walking, NetworkIO/StrideMap plumbing and allocation, which SIMD does not
 * speed up; so the WebAssembly core stays the only OCR runtime.
 */
import { CString, dlopen, FFIType, ptr } from "bun:ffi";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { decodeImage, resizeRgba, toGrey } from "../src/media/index.ts";
import { OcrEngine } from "../src/processor/ocr/tesseract.ts";
import { SHARED } from "../tests/helpers/shared.ts";

const args = process.argv.slice(2);
const runsAt = args.indexOf("--runs");
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 2;
const pageArg = args.find((a, i) => !a.startsWith("--") && args[i - 1] !== "--runs");
const pages = pageArg ? pageArg.split(",") : Array.from({ length: 8 }, (_, i) => `dev_00${i + 1}`);

const { symbols: T } = dlopen("libtesseract.so.5", {
  TessVersion: { args: [], returns: FFIType.cstring },
  TessBaseAPICreate: { args: [], returns: FFIType.ptr },
  TessBaseAPIInit2: { args: [FFIType.ptr, FFIType.cstring, FFIType.cstring, FFIType.i32], returns: FFIType.i32 },
  TessBaseAPISetPageSegMode: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.void },
  TessBaseAPISetImage: { args: [FFIType.ptr, FFIType.ptr, FFIType.i32, FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.void },
  TessBaseAPIRecognize: { args: [FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  TessBaseAPIGetIterator: { args: [FFIType.ptr], returns: FFIType.ptr },
  TessBaseAPIClear: { args: [FFIType.ptr], returns: FFIType.void },
  TessResultIteratorGetPageIterator: { args: [FFIType.ptr], returns: FFIType.ptr },
  TessPageIteratorBegin: { args: [FFIType.ptr], returns: FFIType.void },
  TessPageIteratorBoundingBox: {
    args: [FFIType.ptr, FFIType.i32, FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.ptr],
    returns: FFIType.i32,
  },
  TessResultIteratorGetUTF8Text: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.ptr },
  TessResultIteratorConfidence: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.f32 },
  TessResultIteratorNext: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  TessResultIteratorDelete: { args: [FFIType.ptr], returns: FFIType.void },
  TessDeleteText: { args: [FFIType.ptr], returns: FFIType.void },
});
const cstr = (s: string) => Buffer.from(`${s}\0`);

const dataDir = mkdtempSync(join(tmpdir(), "annopage-tessdata-"));
for (const lang of ["ces", "eng", "deu"])
  writeFileSync(
    join(dataDir, `${lang}.traineddata`),
    gunzipSync(readFileSync(join(import.meta.dir, "..", "vendor", "tessdata_fast", `${lang}.traineddata.gz`))),
  );
const api = T.TessBaseAPICreate();
if (!api || T.TessBaseAPIInit2(api, cstr(dataDir), cstr("ces+eng+deu"), 1 /* LSTM only */) !== 0)
  throw new Error("libtesseract: Init failed");
const box = new Int32Array(4);
const [left, top, right, bottom] = [ptr(box, 0), ptr(box, 4), ptr(box, 8), ptr(box, 12)];

/** Native: recognise, then walk the words as tesseract.ts's readBlocks does (text, box, confidence). */
function native(g: { width: number; height: number; data: Uint8Array }): number {
  T.TessBaseAPISetPageSegMode(api, 3);
  T.TessBaseAPISetImage(api, ptr(g.data), g.width, g.height, 1, g.width);
  T.TessBaseAPIRecognize(api, null);
  const it = T.TessBaseAPIGetIterator(api);
  let words = 0;
  if (it) {
    const pit = T.TessResultIteratorGetPageIterator(it)!;
    const bbox = (level: number) => T.TessPageIteratorBoundingBox(pit, level, left, top, right, bottom) !== 0;
    T.TessPageIteratorBegin(pit);
    while (bbox(0)) {
      if (bbox(3)) {
        const text = T.TessResultIteratorGetUTF8Text(it, 3);
        if (text) {
          if (new CString(text).toString().trim()) words++;
          T.TessDeleteText(text);
        }
        T.TessResultIteratorConfidence(it, 3);
      }
      T.TessResultIteratorNext(it, 3);
    }
    T.TessResultIteratorDelete(it);
  }
  T.TessBaseAPIClear(api);
  return words;
}

const wasm = await OcrEngine.create({ languages: ["ces", "eng", "deu"], models: "fast" });
const cpu = (f: () => unknown) => {
  const c = process.cpuUsage();
  f();
  const d = process.cpuUsage(c);
  return (d.user + d.system) / 1e6;
};
console.log(`libtesseract ${T.TessVersion()} vs ${wasm.software.description}; OMP_THREAD_LIMIT=${process.env.OMP_THREAD_LIMIT ?? "unset"}`);
for (const [i, id] of pages.entries()) {
  const g = toGrey(resizeRgba(await decodeImage(`${SHARED}/fixtures/pages/images/${id}.jpg`), 1600, 2300));
  if (i === 0) {
    // warm-up, not timed: WebAssembly tiers up, both load their models into memory
    wasm.recognize(g);
    native(g);
  }
  let w = Number.POSITIVE_INFINITY,
    n = Number.POSITIVE_INFINITY;
  for (let r = 0; r < runs; r++) {
    w = Math.min(
      w,
      cpu(() => wasm.recognize(g)),
    );
    n = Math.min(
      n,
      cpu(() => native(g)),
    );
  }
  console.log(`${id}  wasm ${w.toFixed(2)} s CPU   native ${n.toFixed(2)} s CPU   ×${(w / n).toFixed(2)}`);
}
rmSync(dataDir, { recursive: true, force: true });
