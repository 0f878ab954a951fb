/**
 * Worker thread of parallel.ts: recognises the text blocks it is sent with its own Tesseract engine (created on the
 * first request, for the settings that request names, and kept for the next pages of this run).
 */
import { OcrEngine, type Block, type Box, type OcrModels } from "./tesseract.ts";
import type { GreyImage } from "../../media/index.ts";

declare const self: Worker;

export type OcrThreadRequest = { settings: OcrModels; page: GreyImage; boxes: Box[] };
/** The blocks of each box, in the order of the request's boxes. */
export type OcrThreadAnswer = { perBox?: Block[][]; error?: string };

let engine: Promise<OcrEngine> | undefined;

self.onmessage = async (e: MessageEvent<OcrThreadRequest & { id: number }>) => {
  const { id, settings, page, boxes } = e.data;
  try {
    const ocr = await (engine ??= OcrEngine.create(settings));
    postMessage({ id, perBox: boxes.map((b) => ocr.recognizeBlocks(page, [b])) } satisfies OcrThreadAnswer & { id: number });
  } catch (err) {
    postMessage({ id, error: err instanceof Error ? err.message : String(err) } satisfies OcrThreadAnswer & { id: number });
  }
};
