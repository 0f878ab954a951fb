import type { Credits } from "../../src/processor/software.ts";

/** What the reference tool credits in every ALTO (docs/processor.md §4.1.1); its fixtures carry these. */
export const REFERENCE_CREDITS: Credits = {
  ocr: { creator: "Project PERO", name: "PERO OCR", version: "v0.1.0" },
  processor: { creator: "Orbis Pictus", name: "AnnoPage", version: "0.0.1" },
};
