/**
 * METHOD `HUGGINGFACE_IMAGE_EMBEDDING` (docs/processor.md §3.8; `CLIP_IMAGE_EMBEDDING` is read as it, with a
 * deprecation warning): one vector per element. This processor runs an `.onnx` `MODEL`/`MODEL_PATH` (keys `IMAGE_MEAN`,
 * `IMAGE_STD`, `TRUE_RGB`; src/processor/onnx/embedding.ts); a Hugging Face model id is noted once per run and no
 * embeddings are computed.
 */
import { existsSync } from "node:fs";
import { cropRgba } from "../../media/index.ts";
import { categoryByLabel, passesFilter } from "../categories.ts";
import { configRelative, isOnnx } from "../config/section-reader.ts";
import { elements, polygonBBox } from "../layout.ts";
import type { EmbedderSettings, OnnxEmbedder } from "../onnx/embedding.ts";
import { ANNOPAGE_SOFTWARE } from "../software.ts";
import type { PageStep, ProcessingMethod } from "./method.ts";

export interface EmbeddingSpec extends EmbedderSettings {
  kind: "embedding";
  /** MODEL (or MODEL_PATH) as configured: recorded in processing_info.model. */
  model: string;
  /** The `.onnx` file to run (MODEL_PATH config-relative; MODEL cwd-relative as docs/processor.md §2.3, else config-relative), else null. */
  onnxPath: string | null;
  categories: string[] | null;
}

/** docs/processor.md §3.8: one record per element passing CATEGORIES whose crop is not empty. */
async function embedElements(spec: EmbeddingSpec, page: PageStep, embedder: OnnxEmbedder): Promise<void> {
  const { layout, image } = page;
  for (const el of elements(layout)) {
    if (!el.meta || !passesFilter(el.category, spec.categories)) continue;
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
        model: spec.model,
        decimal_places: spec.decimalPlaces ?? null,
        precision: v.precision,
      },
      embedding: v.values,
    });
  }
}

export const imageEmbedding: ProcessingMethod<EmbeddingSpec, OnnxEmbedder | undefined> = {
  methods: ["HUGGINGFACE_IMAGE_EMBEDDING"],
  deprecated: ["CLIP_IMAGE_EMBEDDING"],
  kind: "embedding",
  parse(r, { warnings }) {
    const modelPath = r.path("MODEL_PATH");
    const model = modelPath ? r.required("MODEL_PATH") : r.required("MODEL");
    const onnxPath = modelPath ?? (isOnnx(model) ? (existsSync(model) ? model : configRelative(model, r.configPath)) : null);
    if (onnxPath && !isOnnx(onnxPath)) r.fail(`MODEL_PATH must be an ONNX file (.onnx), not '${onnxPath}'`);
    if (onnxPath && !existsSync(onnxPath)) r.fail(`${modelPath ? "MODEL_PATH" : "MODEL"} file not found: '${onnxPath}'`);
    const std = r.numbers("IMAGE_STD", 3, [1, 1, 1], true);
    const [categories, decimalPlaces, mean, trueRgb] = [
      r.list("CATEGORIES", null, warnings),
      r.int("DECIMAL_PLACES", 0),
      r.numbers("IMAGE_MEAN", 3, [0, 0, 0]),
      r.bool("TRUE_RGB", false),
    ];
    return { kind: "embedding", name: r.s.name, model, onnxPath, categories, decimalPlaces, mean, std, trueRgb };
  },
  notices: (spec) =>
    spec.onnxPath
      ? []
      : [
          `[${spec.name}] HUGGINGFACE_IMAGE_EMBEDDING needs the image model '${spec.model}', which this processor cannot run (it runs ONNX image encoders: MODEL = <file>.onnx); no embeddings are computed`,
        ],
  open: (spec) => (spec.onnxPath ? import("../onnx/embedding.ts").then((m) => m.OnnxEmbedder.open(spec)) : null),
  // without an ONNX model nothing runs (noticed once per run)
  run: async (spec, page, embedder) => (spec.onnxPath ? embedElements(spec, page, embedder!) : undefined),
};
