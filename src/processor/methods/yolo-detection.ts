/**
 * METHOD `YOLO_DETECTION` (docs/processor.md §3.3): non-text elements. Without `MODEL_PATH` the built-in weight-free
 * detector runs (src/processor/detect/), which also assigns captions; with an `.onnx` MODEL_PATH the ONNX export runs
 * (key `CLASS_NAMES`, else the model's `names`; src/processor/onnx/yolo.ts); any other model file (`.pt`) gets the
 * built-in detector plus a warning. On pages whose text came from OCR, OCR lines lying inside a detected element are
 * dropped afterwards (OCR reads pictures as garbage words; input ALTO/PAGE text is never touched).
 */
import { existsSync } from "node:fs";
import { passesFilter } from "../categories.ts";
import { isOnnx } from "../config/section-reader.ts";
import { detectElements } from "../detect/index.ts";
import { addDetectedElement, assignCaption, polygonBBox, textLines, type Layout, type TextLine } from "../layout.ts";
import type { OnnxDetector, YoloSettings } from "../onnx/yolo.ts";
import type { PageStep, ProcessingMethod } from "./method.ts";

/** Value recorded for the `element-detection` role: our detector is the weight-free fallback of docs/processor.md §8.1, not YOLO. */
const DETECTOR_MODEL_NAME = "annopage-heuristic";
/** Value recorded for the `element-detection` role by a YOLO model (docs/processor.md §3.3 step 6: the literal word). */
const YOLO_MODEL_NAME = "yolo";

export interface DetectionSpec extends YoloSettings {
  kind: "detection";
  categories: string[] | null;
  /** Whether modelPath is an ONNX export, the only model file that runs; anything else is noted as a warning. */
  onnx: boolean;
}

type Box = { x1: number; y1: number; x2: number; y2: number };

/** Lines with at least half of their box inside `box` (docs/processor.md §3.5 caption lines), in reading order. */
function linesInside(lines: TextLine[], box: Box): TextLine[] {
  return lines.filter((l) => {
    const b = polygonBBox(l.polygon);
    const area = (b.x2 - b.x1) * (b.y2 - b.y1);
    if (area <= 0) return false;
    const ix = Math.max(0, Math.min(b.x2, box.x2) - Math.max(b.x1, box.x1));
    const iy = Math.max(0, Math.min(b.y2, box.y2) - Math.max(b.y1, box.y1));
    return (ix * iy) / area >= 0.5;
  });
}

function runBuiltIn(spec: DetectionSpec, page: PageStep): void {
  const { layout, ids } = page;
  const lines = textLines(layout);
  const grey = page.grey();
  const found = detectElements(
    {
      grey: grey.data,
      width: grey.width,
      height: grey.height,
      rgba: page.image.data,
      textLines: lines.map((l) => ({ bbox: polygonBBox(l.polygon), text: l.transcription })),
    },
    { threshold: spec.threshold, categories: spec.categories?.map((c) => c.toLowerCase()) },
  );
  for (const d of found) {
    const el = addDetectedElement(layout, { ...d.bbox, confidence: d.confidence, label: d.category }, ids, DETECTOR_MODEL_NAME);
    if (d.caption) {
      const capLines = linesInside(lines, d.caption.bbox);
      const text = capLines.length
        ? capLines
            .map((l) => l.transcription)
            .filter((t) => t.trim())
            .join(" ")
        : d.caption.text;
      assignCaption(
        el,
        text,
        capLines.map((l) => l.id),
        ids,
        [
          ["caption-detection", DETECTOR_MODEL_NAME],
          ["caption-assignment", "nearest"],
        ],
      );
    }
  }
}

async function runOnnx(spec: DetectionSpec, page: PageStep, detector: OnnxDetector): Promise<void> {
  for (const d of await detector.detect(page.image)) {
    if (!passesFilter(d.label, spec.categories)) continue; // docs/processor.md §3.3 step 1, before the label check of step 2
    addDetectedElement(page.layout, d, page.ids, YOLO_MODEL_NAME);
  }
}

function dropLinesInsideElements(layout: Layout): void {
  const boxes = layout.regions.filter((r) => r.kind === "element").map((r) => polygonBBox(r.polygon));
  if (boxes.length === 0) return;
  const captionLines = new Set(layout.regions.flatMap((r) => (r.kind === "element" ? (r.meta?.captionRecord?.lineIds ?? []) : [])));
  for (const r of layout.regions) {
    if (r.kind !== "text") continue;
    const kept = r.lines.filter((l) => captionLines.has(l.id) || !boxes.some((b) => linesInside([l], b).length > 0));
    if (kept.length === r.lines.length || kept.length === 0) {
      r.lines = kept;
      continue;
    }
    r.lines = kept;
    const bb = kept.map((l) => polygonBBox(l.polygon));
    const x1 = Math.min(...bb.map((b) => b.x1)),
      y1 = Math.min(...bb.map((b) => b.y1));
    const x2 = Math.max(...bb.map((b) => b.x2)),
      y2 = Math.max(...bb.map((b) => b.y2));
    r.polygon = [
      [x1, y1],
      [x2, y1],
      [x2, y2],
      [x1, y2],
    ];
  }
  layout.regions = layout.regions.filter((r) => r.kind !== "text" || r.lines.length > 0);
}

export const yoloDetection: ProcessingMethod<DetectionSpec, OnnxDetector | undefined> = {
  methods: ["YOLO_DETECTION"],
  kind: "detection",
  parse(r, { warnings }) {
    const modelPath = r.path("MODEL_PATH") ?? null;
    if (modelPath && !existsSync(modelPath)) r.fail(`MODEL_PATH file not found: '${modelPath}'`);
    const onnx = !!modelPath && isOnnx(modelPath);
    if (modelPath && !onnx)
      warnings.push(
        `[${r.s.name}] MODEL_PATH '${modelPath}' is not an ONNX export (.onnx), which is the only YOLO format this processor runs; the built-in weight-free detector is used instead`,
      );
    const [threshold, categories, classNames] = [
      r.float("DETECTION_THRESHOLD"),
      r.list("CATEGORIES", null, warnings),
      r.list("CLASS_NAMES", null, warnings),
    ];
    return {
      kind: "detection",
      name: r.s.name,
      threshold,
      categories,
      modelPath,
      onnx,
      imageSize: r.int("IMAGE_SIZE", 1),
      agnosticNms: r.bool("AGNOSTIC_NMS", false),
      classNames,
    };
  },
  open: (spec) => (spec.onnx ? import("../onnx/yolo.ts").then((m) => m.OnnxDetector.open(spec)) : null),
  async run(spec, page, detector) {
    if (spec.onnx) await runOnnx(spec, page, detector!);
    else runBuiltIn(spec, page);
    if (page.fromOcr) dropLinesInsideElements(page.layout);
  },
};
