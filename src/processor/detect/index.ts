/**
 * Weight-free non-textual element detector (docs/processor.md §3.3 replacement, §8.1 fallback).
 *
 *   detectElements({ grey, width, height, rgba?, textLines? }, { threshold?, categories? }) → DetectedElement[]
 *
 * - `grey`: 8-bit page (e.g. `toGrey(decodeImage(...))` from src/media). `rgba` (same page, optional but
 *   recommended): enables colour evidence — stamps, coloured initials, coloured marks.
 * - `textLines` (from the input ALTO or OCR, page pixels): used to attach captions (§3.5), and a caption that names
 *   a category decides it for drawn figures; finding the elements relies on the page's own evidence.
 * - Result: descending confidence (like YOLO output), integer page-pixel boxes, a §3.4 English label + id, and
 *   `caption` (text + box) when a caption line sits next to the element.
 *
 * Pipeline: analysis scale (~850 px short side) → background-normalised binarisation → connected components →
 * glyph height, text lines (rows of one repeated ornament are not text), page skew, rules (also skewed ones that
 * letters touch) → candidates (large non-text components, faint tone structures, dense tone, ruled tables,
 * ornament rows, coloured ink) merged and grown → features (long lines follow the skew; stroke directions, words
 * inside) → category rules (classify.ts; drawn figures by how they are drawn, drawings.ts; generic "Image" when
 * unsure) → drawn parts of one figure joined (join.ts) → margin writing and margin notes → captions, whose words
 * name the category of a drawn figure ("Map 3.", "Obr. 2: Půdorys", caption-category.ts).
 *
 * Held-out check: bench/synth-pages.ts composes pages from other fonts, texts and pictures than the dev set;
 * bench/detect-quality.ts --set <its output> scores them.
 */
export { detectElements } from "./detect.ts";
export { CATEGORY_LABELS, categoryId } from "./types.ts";
export type { Box, DetectedElement, TextLineHint } from "./types.ts";
