/**
 * METHOD `TESSERACT_OCR` (our extension; the reference skips unknown METHODs with a warning, so such configs stay
 * portable): OCR for pages without ALTO/PAGE XML input. Keys `LANGUAGES` (`eng+ces+deu` or a JSON list), `TESSDATA`
 * (`fast`, the default, or `best_int`) and `THREADS` (1, the default; `auto`, the idle cores per page process; or a
 * number: threads that read one page's text blocks). The section fills ProcessorConfig.ocr; the page pipeline
 * (src/processor/page.ts) reads a page's text with it before the engines run; src/processor/ocr/ is the OCR itself.
 */
import type { SectionReader } from "../config/section-reader.ts";
import type { Layout } from "../layout.ts";
import type { Logger } from "../log.ts";
import type { PageOcr } from "../ocr/parallel.ts";
import { OCR_LANGUAGES, OCR_MODEL_SETS, type OcrLanguage, type OcrModelSet, type OcrSettings } from "../ocr/settings.ts";
import { ocrThreads } from "../ocr/threads.ts";
import type { GreyImage } from "../../media/index.ts";
import type { ProcessingMethod } from "./method.ts";

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

/** The OCR of a page process, opened on first use (tesseract loads only when a page needs OCR). */
export function pageOcrOpener(settings: OcrSettings, processCount: number): () => Promise<PageOcr> {
  let ocr: Promise<PageOcr> | null = null;
  return () => (ocr ??= import("../ocr/parallel.ts").then((m) => m.PageOcr.create(settings, ocrThreads(settings.threads, processCount))));
}

/** A page without ALTO/PAGE XML text: its text regions read by OCR into `layout`, which credits the OCR software. */
export async function readPageText(ocr: PageOcr, layout: Layout, grey: GreyImage, log: Logger): Promise<void> {
  layout.regions.push(...(await ocr.recognize(grey)));
  const { threads, blocks, onWorkers } = ocr.lastPage;
  if (threads > 1) log.debug(`${layout.id}: OCR on ${threads} threads, ${onWorkers} of ${blocks} text blocks read on worker threads`);
  layout.ocr = ocr.software;
}
