/** What OCR reads with: the languages and Tesseract model sets shipped, and the settings of a TESSERACT_OCR section (src/processor/methods/tesseract-ocr.ts). */
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
