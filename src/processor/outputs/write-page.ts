/**
 * Per-page outputs in the reference order (docs/processor.md §3.10): PAGE XML, ALTO, embeddings,
 * render, crops, prompts. A failure while writing one leaves the earlier ones written.
 */
import { join } from "node:path";
import { cropDecodedCanvas, cropRgba, encodeJpeg, type RgbaImage } from "../../media/index.ts";
import { writeAlto } from "../alto/write.ts";
import { writePageXml } from "./page-xml.ts";
import { elements, polygonBBox, type IdServices, type Layout } from "../layout.ts";
import type { Logger } from "../log.ts";
import { renderPage } from "./render.ts";
import { ensureDir, pyJson } from "./files.ts";
import { writeFileAtomicSync } from "../../shared/atomic-write.ts";

export interface OutputPaths {
  xml?: string;
  alto?: string;
  embeddings?: string;
  embeddingsJsonLines: boolean;
  render?: string;
  crops?: string;
  prompts?: string;
}

export function createOutputDirs(out: OutputPaths): void {
  for (const d of [out.xml, out.alto, out.embeddings, out.render, out.crops, out.prompts]) if (d) ensureDir(d);
}

export function writePageOutputs(
  pageId: string,
  layout: Layout,
  image: RgbaImage,
  inputAlto: string | undefined,
  out: OutputPaths,
  ids: IdServices,
  log: Logger,
): void {
  if (out.xml) writeFileAtomicSync(join(out.xml, `${pageId}.xml`), writePageXml(layout, ids));
  if (out.alto) writeFileAtomicSync(join(out.alto, `${pageId}.xml`), writeAlto(layout, { ids, inputAlto }));
  if (out.embeddings) {
    // docs/processor.md §4.3: written for every processed page, empty without records (no ONNX embedding model configured:
    // the run reports the missing model on stderr and in the processing info).
    const records = elements(layout).flatMap((el) => el.meta?.embeddings ?? []);
    const text = out.embeddingsJsonLines ? records.map((r) => `${JSON.stringify(r)}\n`).join("") : pyJson(records);
    writeFileAtomicSync(join(out.embeddings, `${pageId}.${out.embeddingsJsonLines ? "jsonl" : "json"}`), text);
  }
  // the crops are cut from the decoded page's canvas (when there is one) before the render draws its boxes on it
  const crops = out.crops
    ? elements(layout).map((el) => {
        const bb = polygonBBox(el.polygon);
        return { el, crop: cropDecodedCanvas(image, bb.x1, bb.y1, bb.x2, bb.y2) ?? cropRgba(image, bb.x1, bb.y1, bb.x2, bb.y2) };
      })
    : [];
  if (out.render) writeFileAtomicSync(join(out.render, `${pageId}.jpg`), renderPage(image, layout));
  if (out.crops) {
    for (const { el, crop } of crops) {
      if (crop.width === 0 || crop.height === 0) {
        log.warning(`element ${el.id} of page ${pageId} has an empty box; no crop written`);
        continue;
      }
      writeFileAtomicSync(join(out.crops, `${pageId}_${el.meta?.tagId ?? el.id}.jpg`), encodeJpeg(crop, 95));
    }
  }
  if (out.prompts) {
    for (const el of elements(layout)) {
      if (!el.meta || el.meta.prompts.length === 0) continue;
      writeFileAtomicSync(join(out.prompts, `${pageId}_${el.meta.tagId}.txt`), pyJson(el.meta.prompts));
    }
  }
}
