/**
 * OCR text lines of a page image for the detection benches, cached: OCR takes seconds per page, so each page's
 * lines are kept in bench/out/ocr-cache/<sha1 of the image file>.json (page pixels, one {bbox, text} per line) and
 * reused on the next run. Languages: English, Czech and German (the corpus languages); tessdata best_int models
 * (not the processor default `fast`: the slower, more accurate set).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { toGrey, type RgbaImage } from "../src/media/index.ts";
import { OcrEngine } from "../src/processor/ocr/tesseract.ts";
import type { TextLineHint } from "../src/processor/detect/types.ts";

const CACHE = join(import.meta.dir, "out", "ocr-cache");
let engine: Promise<OcrEngine> | null = null;

/** The page's OCR lines; `file` is the image as stored (the cache key), `img` the decoded page fed to OCR. */
export async function ocrLines(file: string, img: RgbaImage): Promise<TextLineHint[]> {
  const key = createHash("sha1").update(readFileSync(file)).update(`${img.width}x${img.height}`).digest("hex");
  const path = join(CACHE, `${key}.json`);
  if (existsSync(path)) return JSON.parse(readFileSync(path, "utf8")) as TextLineHint[];
  engine ??= OcrEngine.create({ languages: ["eng", "ces", "deu"], models: "best_int" });
  const regions = (await engine).recognize(toGrey(img));
  const lines: TextLineHint[] = [];
  for (const r of regions)
    for (const l of r.lines) {
      const xs = l.polygon.map((p) => p[0]);
      const ys = l.polygon.map((p) => p[1]);
      lines.push({ bbox: { x1: Math.min(...xs), y1: Math.min(...ys), x2: Math.max(...xs), y2: Math.max(...ys) }, text: l.transcription });
    }
  mkdirSync(CACHE, { recursive: true });
  writeFileSync(path, JSON.stringify(lines));
  return lines;
}
