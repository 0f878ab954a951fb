/**
 * One page through the pipeline (annopage-tool.md §3.2–§3.10): decode → text from the input ALTO,
 * PAGE XML or OCR → resize to the XML page size → engines in config order → outputs.
 */
import { existsSync, readFileSync } from "node:fs";
import { decodeXml } from "../shared/xml-text.ts";
import { join } from "node:path";
import { cropRgba, decodeImage, resizeRgba, toGrey, type GreyImage, type RgbaImage } from "../media/index.ts";
import { detectElements } from "./detect/index.ts";
import { readAltoText, readPageXmlText, type LoadedText } from "./alto/read.ts";
import { runCaptioning, ENGINE_NAME as CAPTIONING_ENGINE } from "./caption/captioning.ts";
import { runInitialRecognition, INITIAL_ENGINE_NAME } from "./caption/initials.ts";
import type { DetectionSpec, EmbeddingSpec, ProcessorConfig } from "./config/engine-config.ts";
import {
  addDetectedElement,
  assignCaption,
  elements,
  polygonBBox,
  textLines,
  type IdServices,
  type Layout,
  type TextLine,
} from "./layout.ts";
import { categoryByLabel, passesFilter } from "./categories.ts";
import type { OnnxModels } from "./onnx/models.ts";
import { ANNOPAGE_SOFTWARE } from "./software.ts";
import type { Logger } from "./log.ts";
import type { PageOcr } from "./ocr/parallel.ts";
import { writePageOutputs, type OutputPaths } from "./outputs/write-page.ts";
import type { Usage } from "./usage.ts";

/** Value recorded for the `element-detection` role: our detector is the weight-free fallback of §8.1, not YOLO. */
const DETECTOR_MODEL_NAME = "annopage-heuristic";
/** Value recorded for the `element-detection` role by a YOLO model (§3.3 step 6: the literal word). */
const YOLO_MODEL_NAME = "yolo";

export interface PageTask {
  pageId: string;
  imageName: string;
  imagePath: string;
}

export interface PageEnv {
  config: ProcessorConfig;
  inputAltoDir?: string;
  inputXmlDir?: string;
  metadata: Record<string, unknown>;
  out: OutputPaths;
  ids: IdServices;
  log: Logger;
  getOcr(): Promise<PageOcr>;
  /** The run's opened ONNX models (empty maps when none is configured). */
  onnx: OnnxModels;
}

export interface PageResult {
  usage: Record<string, Record<string, Usage>>;
  elements: number;
  textLines: number;
}

function lineArea(l: TextLine): { x1: number; y1: number; x2: number; y2: number } {
  return polygonBBox(l.polygon);
}

/** Lines with at least half of their box inside `box` (§3.5 caption lines), in reading order. */
function linesInside(lines: TextLine[], box: { x1: number; y1: number; x2: number; y2: number }): TextLine[] {
  return lines.filter((l) => {
    const b = lineArea(l);
    const area = (b.x2 - b.x1) * (b.y2 - b.y1);
    if (area <= 0) return false;
    const ix = Math.max(0, Math.min(b.x2, box.x2) - Math.max(b.x1, box.x1));
    const iy = Math.max(0, Math.min(b.y2, box.y2) - Math.max(b.y1, box.y1));
    return (ix * iy) / area >= 0.5;
  });
}

export async function processPage(task: PageTask, env: PageEnv): Promise<PageResult> {
  const { log } = env;
  let image: RgbaImage;
  try {
    image = await decodeImage(task.imagePath);
  } catch (e) {
    throw new Error(`Unable to read image "${task.imagePath}": ${(e as Error).message}`);
  }
  const layout: Layout = { id: task.pageId, width: image.width, height: image.height, regions: [] };
  let loaded: LoadedText | null = null;
  let inputAlto: string | undefined;
  if (env.inputAltoDir) {
    const file = join(env.inputAltoDir, `${task.pageId}.xml`);
    if (existsSync(file)) {
      inputAlto = decodeXml(readFileSync(file));
      loaded = readAltoText(inputAlto);
    } else
      log.warning(`ALTO file '${file}' does not exist; a fresh ALTO is generated for ${task.pageId}${env.config.ocr ? " from OCR" : ""}`);
  } else if (env.inputXmlDir) {
    const file = join(env.inputXmlDir, `${task.pageId}.xml`);
    if (existsSync(file)) loaded = readPageXmlText(decodeXml(readFileSync(file)));
    else log.warning(`PAGE XML file '${file}' does not exist; continuing without it`);
  }
  let grey: GreyImage | null = null;
  const getGrey = () => (grey ??= toGrey(image));
  if (loaded) {
    layout.id = loaded.layoutId || task.pageId;
    layout.regions.push(...loaded.regions);
    // non-text elements of a PAGE XML input (its `custom` categories): elements again, with their tags and crops
    for (const el of loaded.elements ?? [])
      addDetectedElement(layout, { ...el.box, confidence: el.confidence, label: el.category }, env.ids, null);
    if (loaded.measurementUnit && loaded.measurementUnit !== "pixel") {
      // like the reference, the unit is not converted: the page size is taken as pixels (§3.2 step 5)
      log.warning(
        `${task.pageId}: input ALTO MeasurementUnit is '${loaded.measurementUnit}', not pixel; its coordinates are used as pixels`,
      );
    }
    if (loaded.width && loaded.height && (loaded.width !== image.width || loaded.height !== image.height)) {
      log.info(`${task.pageId}: image ${image.width}x${image.height} resized to the XML page size ${loaded.width}x${loaded.height}`);
      image = resizeRgba(image, loaded.width, loaded.height);
      grey = null;
    }
    layout.width = image.width;
    layout.height = image.height;
  } else if (env.config.ocr) {
    // no ALTO/PAGE text for this page (none given, or its file is missing): OCR it
    const ocr = await env.getOcr();
    layout.regions.push(...(await ocr.recognize(getGrey())));
    const { threads, blocks, onWorkers } = ocr.lastPage;
    if (threads > 1) log.debug(`${task.pageId}: OCR on ${threads} threads, ${onWorkers} of ${blocks} text blocks read on worker threads`);
    layout.ocr = ocr.software;
  }

  const fromOcr = !loaded && !!env.config.ocr;
  const usage: PageResult["usage"] = {};
  for (const engine of env.config.engines) {
    if (engine.kind === "detection" && engine.onnx) {
      await runOnnxDetection(engine, layout, image, env);
      if (fromOcr) dropLinesInsideElements(layout);
    } else if (engine.kind === "detection") {
      const lines = textLines(layout);
      const found = detectElements(
        { ...getGreyInput(getGrey()), rgba: image.data, textLines: lines.map((l) => ({ bbox: lineArea(l), text: l.transcription })) },
        { threshold: engine.threshold, categories: engine.categories?.map((c) => c.toLowerCase()) },
      );
      for (const d of found) {
        const el = addDetectedElement(layout, { ...d.bbox, confidence: d.confidence, label: d.category }, env.ids, DETECTOR_MODEL_NAME);
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
            env.ids,
            [
              ["caption-detection", DETECTOR_MODEL_NAME],
              ["caption-assignment", "nearest"],
            ],
          );
        }
      }
      // OCR reads pictures as garbage words: drop OCR lines lying mostly inside a detected element
      // (input ALTO/PAGE text is never touched).
      if (fromOcr) dropLinesInsideElements(layout);
    } else if (engine.kind === "captioning") {
      const used = await runCaptioning(engine, layout, image, (env.metadata[task.imageName] as Record<string, unknown>) ?? {}, log);
      if (used.size) {
        const mine = (usage[CAPTIONING_ENGINE] ??= {});
        for (const [region, u] of used) mine[region] = u;
      }
    } else if (engine.kind === "initials") {
      const used = await runInitialRecognition(engine, layout, image, log);
      if (used.size) {
        const mine = (usage[INITIAL_ENGINE_NAME] ??= {});
        for (const [region, u] of used) mine[region] = u;
      }
    } else if (engine.kind === "embedding" && engine.onnxPath) {
      await runOnnxEmbedding(engine, layout, image, env);
    }
    // embedding engines without an ONNX model: no model runtime; reported once per run (see run.ts)
  }
  writePageOutputs(task.pageId, layout, image, inputAlto, env.out, env.ids, log);
  return { usage, elements: layout.regions.filter((r) => r.kind === "element").length, textLines: textLines(layout).length };
}

async function runOnnxDetection(engine: DetectionSpec, layout: Layout, image: RgbaImage, env: PageEnv): Promise<void> {
  const found = await env.onnx.detectors.get(engine.name)!.detect(image);
  for (const d of found) {
    if (!passesFilter(d.label, engine.categories)) continue; // §3.3 step 1, before the label check of step 2
    addDetectedElement(layout, d, env.ids, YOLO_MODEL_NAME);
  }
}

/** §3.8: one record per element passing CATEGORIES whose crop is not empty. */
async function runOnnxEmbedding(engine: EmbeddingSpec, layout: Layout, image: RgbaImage, env: PageEnv): Promise<void> {
  const embedder = env.onnx.embedders.get(engine.name)!;
  for (const el of elements(layout)) {
    if (!el.meta || !passesFilter(el.category, engine.categories)) continue;
    const bb = polygonBBox(el.polygon);
    const crop = cropRgba(image, bb.x1, bb.y1, bb.x2, bb.y2);
    if (crop.width === 0 || crop.height === 0) continue;
    const v = await embedder.embed(crop);
    (el.meta.embeddings ??= []).push({
      id: `uuid:${el.meta.modsUuid}`,
      tag_id: el.meta.tagId,
      page_uuid: layout.id,
      category: categoryByLabel(el.category)?.genreEng ?? el.category,
      source: null,
      processing_info: {
        system: "AnnoPage",
        version: ANNOPAGE_SOFTWARE.version,
        datetime: new Date().toISOString().replace("Z", "000+00:00"),
        model: engine.model,
        decimal_places: engine.decimalPlaces ?? null,
        precision: v.precision,
      },
      embedding: v.values,
    });
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

function getGreyInput(g: GreyImage) {
  return { grey: g.data, width: g.width, height: g.height };
}
