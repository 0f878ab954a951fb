/**
 * `YOLO_DETECTION` with an ONNX export of an Ultralytics detector (docs/processor.md §3.3, §8.3):
 * letterbox (scale to the model's input keeping the aspect, grey 114 padding split evenly), RGB
 * 0–1 CHW, inference, decoding of the `[1, 4+nc, A]` head (cx, cy, w, h, class scores),
 * confidence = best class score ≥ DETECTION_THRESHOLD, NMS (IoU 0.7, per class unless
 * AGNOSTIC_NMS, at most 300 boxes, descending confidence), boxes mapped back to the page and
 * clipped. Class names: CLASS_NAMES, else the model's `names` metadata.
 */
import { resizeRgba, type RgbaImage } from "../../media/index.ts";
import { pyRound } from "../layout.ts";
import { OnnxModelError } from "./errors.ts";
import { parseClassNames } from "./metadata.ts";
import { nms, type ScoredBox } from "./nms.ts";
import { openOnnxModel, type OnnxModel } from "./session.ts";

const DEFAULT_THRESHOLD = 0.2;
const DEFAULT_IMAGE_SIZE = 640;
const IOU = 0.7;
const MAX_DETECTIONS = 300;
const MAX_CANDIDATES = 30_000;
const PAD = 114 / 255;

/** What a YOLO_DETECTION section sets for an ONNX model (src/processor/methods/yolo-detection.ts). */
export interface YoloSettings {
  name: string;
  /** The `.onnx` file. */
  modelPath: string | null;
  threshold: number | undefined;
  imageSize: number | undefined;
  agnosticNms: boolean;
  /** CLASS_NAMES (class-id order), else null: the model's `names` metadata. */
  classNames: string[] | null;
}

export interface YoloDetection {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  confidence: number;
  /** The model's class name. */
  label: string;
}

export interface Letterbox {
  chw: Float32Array;
  height: number;
  width: number;
  gain: number;
  padLeft: number;
  padTop: number;
}

/** The page fitted into height×width (Ultralytics' LetterBox: centred, grey 114 around). */
function letterbox(image: RgbaImage, height: number, width: number): Letterbox {
  const gain = Math.min(height / image.height, width / image.width);
  const nw = Math.max(1, pyRound(image.width * gain)),
    nh = Math.max(1, pyRound(image.height * gain));
  const padLeft = pyRound((width - nw) / 2 - 0.1),
    padTop = pyRound((height - nh) / 2 - 0.1);
  const resized = resizeRgba(image, nw, nh);
  const plane = height * width;
  const chw = new Float32Array(3 * plane).fill(PAD);
  for (let y = 0; y < nh; y++) {
    for (let x = 0; x < nw; x++) {
      const s = (y * nw + x) * 4;
      const d = (y + padTop) * width + x + padLeft;
      chw[d] = resized.data[s]! / 255;
      chw[plane + d] = resized.data[s + 1]! / 255;
      chw[2 * plane + d] = resized.data[s + 2]! / 255;
    }
  }
  return { chw, height, width, gain, padLeft, padTop };
}

/** Candidates of a `[1, 4+nc, A]` output at or above the threshold, in letterbox coordinates. */
function decodeHead(data: Float32Array, dims: readonly number[], nc: number, threshold: number): ScoredBox[] {
  const anchors = dims[2]!;
  const out: ScoredBox[] = [];
  for (let a = 0; a < anchors; a++) {
    let best = -Infinity,
      cls = 0;
    for (let c = 0; c < nc; c++) {
      const s = data[(4 + c) * anchors + a]!;
      if (s > best) {
        best = s;
        cls = c;
      }
    }
    if (!(best >= threshold)) continue;
    const cx = data[a]!,
      cy = data[anchors + a]!,
      w = data[2 * anchors + a]!,
      h = data[3 * anchors + a]!;
    out.push({ x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2, score: best, cls });
  }
  return out;
}

export class OnnxDetector {
  private constructor(
    private readonly model: OnnxModel,
    private readonly spec: YoloSettings,
    readonly classNames: string[],
  ) {}

  static async open(spec: YoloSettings): Promise<OnnxDetector> {
    const model = await openOnnxModel(spec.modelPath!, `[${spec.name}] MODEL_PATH '${spec.modelPath}'`);
    const names = spec.classNames ?? parseClassNames(model.metadata.get("names") ?? "");
    if (!names)
      throw new OnnxModelError(`${model.where}: no class names (the model has no 'names' metadata and the section sets no CLASS_NAMES)`);
    const out = model.session.outputMetadata[0]!;
    const nc = out.isTensor && typeof out.shape[1] === "number" ? out.shape[1] - 4 : null;
    if (out.isTensor && out.shape.length !== 3)
      throw new OnnxModelError(`${model.where}: the output '${out.name}' must be [1, 4+classes, anchors], not [${out.shape.join(", ")}]`);
    if (nc !== null && nc !== names.length)
      throw new OnnxModelError(`${model.where}: the output has ${nc} class scores but ${names.length} class names are known`);
    return new OnnxDetector(model, spec, names);
  }

  async detect(image: RgbaImage): Promise<YoloDetection[]> {
    const size = this.model.inputSize ?? {
      height: this.spec.imageSize ?? DEFAULT_IMAGE_SIZE,
      width: this.spec.imageSize ?? DEFAULT_IMAGE_SIZE,
    };
    const lb = letterbox(image, size.height, size.width);
    const t = await this.model.run(lb.chw, lb.height, lb.width);
    const nc = this.classNames.length;
    if (t.dims.length !== 3 || t.dims[0] !== 1 || t.dims[1] !== 4 + nc) {
      throw new Error(`${this.model.where}: the output is [${t.dims.join(", ")}], not [1, ${4 + nc}, anchors]`);
    }
    const candidates = decodeHead(t.data as Float32Array, t.dims, nc, this.spec.threshold ?? DEFAULT_THRESHOLD);
    const kept = nms(candidates, {
      iou: IOU,
      agnostic: this.spec.agnosticNms,
      maxCandidates: MAX_CANDIDATES,
      maxDetections: MAX_DETECTIONS,
    });
    const clip = (v: number, max: number) => Math.min(Math.max(v, 0), max);
    return kept.map((b) => ({
      x1: clip((b.x1 - lb.padLeft) / lb.gain, image.width),
      y1: clip((b.y1 - lb.padTop) / lb.gain, image.height),
      x2: clip((b.x2 - lb.padLeft) / lb.gain, image.width),
      y2: clip((b.y2 - lb.padTop) / lb.gain, image.height),
      confidence: b.score,
      label: this.classNames[b.cls]!,
    }));
  }
}
