/**
 * Weight-free non-textual element detector (annopage-tool.md §3.3 replacement, §8.1 fallback).
 *
 *   detectElements({ grey, width, height, textLines? }, { threshold?, categories? }) → DetectedElement[]
 *
 * Elements come in descending confidence (like YOLO output order). Boxes are integer page pixels.
 * `caption` is set when a caption-like text line (e.g. "Fig. 3: …") sits just below/above the element and text
 * lines were given (from ALTO or OCR).
 */
export { detectElements } from "./detect.ts";
export { CATEGORY_LABELS, categoryId } from "./types.ts";
export type { Box, CategoryLabel, DetectInput, DetectOptions, DetectedCaption, DetectedElement, TextLineHint } from "./types.ts";
