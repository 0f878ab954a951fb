/**
 * The ONNX models of a run's configuration, opened once per process before the first page, so a
 * missing or malformed model fails the run at start-up with one line (exit 1) instead of every page.
 * onnxruntime is imported only here, and only when a section configures an ONNX model.
 */
import type { ProcessorConfig } from "../config/engine-config.ts";
import type { OnnxEmbedder } from "./embedding.ts";
import type { OnnxDetector } from "./yolo.ts";

export interface OnnxModels {
  /** By section name (section names are unique). */
  detectors: Map<string, OnnxDetector>;
  embedders: Map<string, OnnxEmbedder>;
}

export function noOnnxModels(): OnnxModels {
  return { detectors: new Map(), embedders: new Map() };
}

function usesOnnx(config: ProcessorConfig): boolean {
  return config.engines.some((e) => (e.kind === "detection" && e.onnx) || (e.kind === "embedding" && e.onnxPath !== null));
}

export async function openOnnxModels(config: ProcessorConfig): Promise<OnnxModels> {
  const models = noOnnxModels();
  if (!usesOnnx(config)) return models;
  const [{ OnnxDetector }, { OnnxEmbedder }] = await Promise.all([import("./yolo.ts"), import("./embedding.ts")]);
  for (const e of config.engines) {
    if (e.kind === "detection" && e.onnx) models.detectors.set(e.name, await OnnxDetector.open(e));
    if (e.kind === "embedding" && e.onnxPath) models.embedders.set(e.name, await OnnxEmbedder.open(e));
  }
  return models;
}
