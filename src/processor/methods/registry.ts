/**
 * The processing METHODs this processor knows (docs/processor.md §2.4, and our TESSERACT_OCR). The config parser
 * (src/processor/config/engine-config.ts) finds a section's module here by its METHOD; the page pipeline
 * (src/processor/page.ts) and the run (src/processor/run.ts) find a spec's module by its kind.
 */
import { captionYolo } from "./caption-yolo.ts";
import { imageCaptioning } from "./image-captioning.ts";
import { imageEmbedding } from "./image-embedding.ts";
import { initialRecognition } from "./initial-recognition.ts";
import type { MethodSpec, ProcessingMethod } from "./method.ts";
import { tesseractOcr } from "./tesseract-ocr.ts";
import { yoloDetection } from "./yolo-detection.ts";

const METHODS = [tesseractOcr, yoloDetection, captionYolo, imageCaptioning, initialRecognition, imageEmbedding] as const;

type SpecOf<T> = T extends ProcessingMethod<infer S, any> ? S : never;
/** The spec of any known METHOD. */
export type AnySpec = SpecOf<(typeof METHODS)[number]>;
/** The spec of an engine: every METHOD but TESSERACT_OCR, whose section sets ProcessorConfig.ocr. */
export type EngineSpec = Exclude<AnySpec, { kind: "ocr" }>;

/** A method of any spec (each is called with its own specs only). */
type SomeMethod = ProcessingMethod<any, any>;

const BY_METHOD = new Map<string, { module: SomeMethod; deprecated: boolean }>();
const BY_KIND = new Map<string, SomeMethod>();
for (const m of METHODS as readonly SomeMethod[]) {
  for (const name of m.methods) BY_METHOD.set(name, { module: m, deprecated: false });
  for (const name of m.deprecated ?? []) BY_METHOD.set(name, { module: m, deprecated: true });
  BY_KIND.set(m.kind, m);
}

/** The module of a METHOD value, and whether the value is a deprecated name (then read as `module.methods[0]`). */
export function methodNamed(method: string): { module: SomeMethod; deprecated: boolean } | undefined {
  return BY_METHOD.get(method);
}

/** The module that made `spec`. */
export function methodOf(spec: MethodSpec): SomeMethod {
  const m = BY_KIND.get(spec.kind);
  if (!m) throw new Error(`no processing method makes specs of kind '${spec.kind}'`);
  return m;
}
