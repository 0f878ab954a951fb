/**
 * METHOD `TESSERACT_OCR` (our extension; the reference skips unknown METHODs with a warning, so such configs stay
 * portable): OCR for pages without ALTO/PAGE XML input. Keys `LANGUAGES` (`eng+ces+deu` or a JSON list), `TESSDATA`
 * (`fast`, the default, or `best_int`) and `THREADS` (1, the default; `auto`, the idle cores per page process; or a
 * number: threads that read one page's text blocks). The section fills ProcessorConfig.ocr, which the page pipeline
 * (src/processor/page.ts) uses before the engines; src/processor/ocr/ reads the page.
 */
import type { SectionReader } from "../config/section-reader.ts";
import type { ProcessingMethod } from "./method.ts";

export const OCR_LANGUAGES = ["eng", "ces", "deu"] as const;
export type OcrLanguage = (typeof OCR_LANGUAGES)[number];
/** Tesseract model sets shipped: tessdata_fast (vendor/tessdata_fast, the default) and tessdata best_int (npm). */
export const OCR_MODEL_SETS = ["fast", "best_int"] as const;
export type OcrModelSet = (typeof OCR_MODEL_SETS)[number];
export interface OcrSettings {
  languages: OcrLanguage[];
  models: OcrModelSet;
  /**
   * Threads reading one page (its text blocks shared out), or "auto": the idle cores per page process. Default 1: the
   * whole page at once, which reads best (bench/engine.ts: CER 0.99 % on one thread, 1.43 % with blocks on 2 threads).
   */
  threads: number | "auto";
}

export interface OcrSpec {
  kind: "ocr";
  name: string;
  settings: OcrSettings;
}

function parseLanguages(r: SectionReader): OcrLanguage[] {
  const v = r.str("LANGUAGES") ?? "ces+eng+deu";
  let langs: string[];
  if (v.startsWith("[")) {
    try {
      langs = JSON.parse(v);
    } catch {
      r.fail(`LANGUAGES must be a JSON list or 'eng+ces', not '${v}'`);
    }
  } else langs = v.split(/[+,\s]+/).filter(Boolean);
  if (langs.length === 0) r.fail("LANGUAGES is empty");
  for (const l of langs)
    if (!(OCR_LANGUAGES as readonly string[]).includes(l))
      r.fail(`OCR language '${l}' is not shipped (available: ${OCR_LANGUAGES.join(", ")})`);
  return langs as OcrLanguage[];
}

function parseThreads(r: SectionReader): number | "auto" {
  const v = (r.str("THREADS") ?? "1").toLowerCase();
  if (v === "auto") return v;
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 64) r.fail(`THREADS must be auto or a whole number from 1 to 64, not '${v}'`);
  return Number(v);
}

function parseModelSet(r: SectionReader): OcrModelSet {
  const v = (r.str("TESSDATA") ?? "fast").toLowerCase();
  if (!(OCR_MODEL_SETS as readonly string[]).includes(v)) r.fail(`TESSDATA must be one of ${OCR_MODEL_SETS.join(", ")}, not '${v}'`);
  return v as OcrModelSet;
}

export const tesseractOcr: ProcessingMethod<OcrSpec> = {
  methods: ["TESSERACT_OCR"],
  kind: "ocr",
  parse: (r) => ({
    kind: "ocr",
    name: r.s.name,
    settings: { languages: parseLanguages(r), models: parseModelSet(r), threads: parseThreads(r) },
  }),
};
