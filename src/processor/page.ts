/**
 * One page through the pipeline (docs/processor.md §3.2–§3.10): decode → text from the input ALTO,
 * PAGE XML or OCR → resize to the XML page size → engines in config order → outputs.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeImage, resizeRgba, toGrey, type GreyImage, type RgbaImage } from "../media/index.ts";
import { decodeXml } from "../shared/xml-text.ts";
import { readAltoText, readPageXmlText, type LoadedText } from "./alto/read.ts";
import type { ProcessorConfig } from "./config/engine-config.ts";
import { addDetectedElement, textLines, type IdServices, type Layout } from "./layout.ts";
import type { Logger } from "./log.ts";
import type { PageStep } from "./methods/method.ts";
import { methodOf } from "./methods/registry.ts";
import { readPageText } from "./methods/tesseract-ocr.ts";
import type { PageOcr } from "./ocr/parallel.ts";
import { writePageOutputs, type OutputPaths } from "./outputs/write-page.ts";
import type { Usage } from "./usage.ts";

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
  /** The models the run opened before the first page, by section name (src/processor/methods/method.ts, `open`). */
  models: ReadonlyMap<string, unknown>;
}

export interface PageResult {
  usage: Record<string, Record<string, Usage>>;
  elements: number;
  textLines: number;
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
      // like the reference, the unit is not converted: the page size is taken as pixels (docs/processor.md §3.2 step 5)
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
    await readPageText(await env.getOcr(), layout, getGrey(), log);
  }

  const usage: PageResult["usage"] = {};
  const step: PageStep = {
    layout,
    image,
    grey: getGrey,
    metadata: (env.metadata[task.imageName] as Record<string, unknown>) ?? {},
    fromOcr: !loaded && !!env.config.ocr,
    ids: env.ids,
    log,
    addUsage(engine, used) {
      if (used.size === 0) return;
      const mine = (usage[engine] ??= {});
      for (const [region, u] of used) mine[region] = u;
    },
  };
  // the engines in config order (docs/processor.md §2.2)
  for (const engine of env.config.engines) await methodOf(engine).run?.(engine, step, env.models.get(engine.name));
  writePageOutputs(task.pageId, layout, image, inputAlto, env.out, env.ids, log);
  return { usage, elements: layout.regions.filter((r) => r.kind === "element").length, textLines: textLines(layout).length };
}
