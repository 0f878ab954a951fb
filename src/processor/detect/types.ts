/** Shared types of the weight-free non-textual element detector. */

/** Axis-aligned box in page pixels: [x1, y1) – [x2, y2). */
export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** A text line known from the input ALTO/PAGE or from OCR (page pixels). */
export interface TextLineHint {
  bbox: Box;
  text: string;
}

/** Input of the detector: the page in grey (8-bit, row-major) plus optional known text lines. */
export interface DetectInput {
  grey: Uint8Array;
  width: number;
  height: number;
  textLines?: readonly TextLineHint[];
  /** Optional RGBA of the same page (width × height × 4): enables colour evidence (stamps, coloured initials). */
  rgba?: Uint8Array | Uint8ClampedArray;
}

export interface DetectOptions {
  /** Drop elements whose confidence is below this (AnnoPage's DETECTION_THRESHOLD). Default 0. */
  threshold?: number;
  /** Only keep these categories (lower-cased English labels, like AnnoPage's CATEGORIES filter). */
  categories?: readonly string[];
}

// the category table is src/processor/categories.ts (one table for the detector and every output)
import type { CategoryLabel } from "../categories.ts";
export { CATEGORY_LABELS, categoryId, type CategoryLabel } from "../categories.ts";

/** A caption text line associated with an element (docs/processor.md §3.5). */
export interface DetectedCaption {
  text: string;
  bbox: Box;
}

/** One detected non-textual element. */
export interface DetectedElement {
  bbox: Box;
  /** English label of docs/processor.md §3.4. */
  category: CategoryLabel;
  /** docs/processor.md §3.4 numeric id (1–25). */
  categoryId: number;
  /** 0–1. */
  confidence: number;
  caption?: DetectedCaption;
}
