/**
 * Who made what in an output (ALTO `processingSoftware`, MODS `recordContentSource`): the real
 * software and version, never the reference tool's placeholders (docs/processor.md §4.1.1 shows
 * PERO OCR v0.1.0 and AnnoPage 0.0.1, what the reference writes; the fixture tests inject those).
 */
import pkg from "../../package.json" with { type: "json" };

export interface SoftwareInfo {
  creator: string;
  name: string;
  version: string;
  /** ALTO `applicationDescription` (optional). */
  description?: string;
}

/** This processor: the `annopage` executable of this package, at the package's version. */
export const ANNOPAGE_SOFTWARE: SoftwareInfo = {
  creator: "AnnoPage API",
  name: "annopage",
  version: pkg.version,
  description: "annopage process: element detection, OCR (tesseract), ALTO/renders/crops",
};

/** What the ALTO writer credits: the processor, and the OCR that produced the text lines (null = none ran). */
export interface Credits {
  processor: SoftwareInfo;
  ocr: SoftwareInfo | null;
}
