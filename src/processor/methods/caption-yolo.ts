/**
 * METHODs `CAPTION_YOLO_NEAREST`, `CAPTION_YOLO_KEYPOINTS`, `CAPTION_YOLO_ORGANIZER` (docs/processor.md §3.5): they
 * need a YOLO caption model, which this processor cannot run; the section is skipped with a warning (the built-in
 * detector of YOLO_DETECTION assigns captions itself).
 */
import type { ProcessingMethod } from "./method.ts";

export const captionYolo: ProcessingMethod<never> = {
  methods: ["CAPTION_YOLO_NEAREST", "CAPTION_YOLO_KEYPOINTS", "CAPTION_YOLO_ORGANIZER"],
  kind: "caption-yolo",
  parse(r, { method, warnings }) {
    warnings.push(
      `[${r.s.name}] METHOD ${method} needs a YOLO caption model, which this processor cannot run; section skipped (the built-in detector assigns captions itself)`,
    );
    return null;
  },
};
