/**
 * Image embeddings from an ONNX image encoder (docs/processor.md §3.8 with §8.3's ONNX route): the
 * element's crop → resized to the model's input size when the model fixes one (else fed as is) →
 * channels scaled to 0–1, then (x − IMAGE_MEAN) / IMAGE_STD → the first output, flattened, as
 * float32 values (rounded to DECIMAL_PLACES when set).
 *
 * Channel order: the reference hands its BGR crop to an RGB image processor, so its models see red
 * and blue swapped (§3.8 step 1). We reproduce that swap by default, so vectors stay comparable
 * with the reference's for the same model; `TRUE_RGB = yes` feeds the true RGB the model was
 * trained on. The model's own preprocessing (e.g. CLIP's shortest-side resize + centre crop) is
 * expected inside the export or its input size; only a plain resize is done here.
 */
import { resizeRgba, type RgbaImage } from "../../media/index.ts";
import { openOnnxModel, type OnnxModel } from "./session.ts";

/** What a HUGGINGFACE_IMAGE_EMBEDDING section sets for an ONNX encoder (src/processor/methods/image-embedding.ts). */
export interface EmbedderSettings {
  name: string;
  /** The `.onnx` file. */
  onnxPath: string | null;
  decimalPlaces: number | undefined;
  mean: number[];
  std: number[];
  trueRgb: boolean;
}

export interface EmbeddingVector {
  values: number[];
  /** The output tensor's element type (processing_info.precision). */
  precision: string;
}

/** CHW float32 input of a crop: the channel order and normalisation described above. */
function embeddingInput(crop: RgbaImage, spec: Pick<EmbedderSettings, "mean" | "std" | "trueRgb">): Float32Array {
  const plane = crop.width * crop.height;
  const chw = new Float32Array(3 * plane);
  const order = spec.trueRgb ? [0, 1, 2] : [2, 1, 0];
  for (let c = 0; c < 3; c++) {
    const src = order[c]!,
      mean = spec.mean[c]!,
      std = spec.std[c]!;
    for (let i = 0; i < plane; i++) chw[c * plane + i] = (crop.data[i * 4 + src]! / 255 - mean) / std;
  }
  return chw;
}

function roundTo(v: number, places: number): number {
  return Number(v.toFixed(places));
}

export class OnnxEmbedder {
  private constructor(
    private readonly model: OnnxModel,
    private readonly spec: EmbedderSettings,
  ) {}

  static async open(spec: EmbedderSettings): Promise<OnnxEmbedder> {
    return new OnnxEmbedder(await openOnnxModel(spec.onnxPath!, `[${spec.name}] image encoder '${spec.onnxPath}'`), spec);
  }

  async embed(crop: RgbaImage): Promise<EmbeddingVector> {
    const size = this.model.inputSize;
    const input = size ? resizeRgba(crop, size.width, size.height) : crop;
    const t = await this.model.run(embeddingInput(input, this.spec), input.height, input.width);
    if (t.dims[0] !== 1) throw new Error(`${this.model.where}: the output is [${t.dims.join(", ")}], not one vector for one image`);
    let values = Array.from(t.data as Float32Array);
    if (this.spec.decimalPlaces !== undefined) values = values.map((v) => roundTo(v, this.spec.decimalPlaces!));
    return { values, precision: t.type };
  }
}
