/**
 * One ONNX model file opened for CPU inference: its single image input (float32, N×3×H×W), its
 * first output, and its metadata. Every problem is an OnnxModelError naming the section, key and file.
 */
import { readFileSync } from "node:fs";
import type { InferenceSession, Tensor } from "onnxruntime-node";
import { OnnxModelError } from "./errors.ts";
import { readOnnxMetadata } from "./metadata.ts";
import { loadOrt } from "./runtime.ts";

export interface OnnxModel {
  session: InferenceSession;
  /** `[section] KEY 'path'`, for messages. */
  where: string;
  inputName: string;
  /** Input height and width when the model fixes them, else null (any size). */
  inputSize: { height: number; width: number } | null;
  outputName: string;
  metadata: Map<string, string>;
  /** Runs the model on one CHW float32 image; returns the first output. */
  run(chw: Float32Array, height: number, width: number): Promise<Tensor>;
}

export async function openOnnxModel(path: string, where: string): Promise<OnnxModel> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new OnnxModelError(`${where}: cannot read the model file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const ort = await loadOrt();
  const metadata = readOnnxMetadata(bytes, where);
  let session: InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, { executionProviders: ["cpu"], graphOptimizationLevel: "all" });
  } catch (e) {
    throw new OnnxModelError(`${where}: not a usable ONNX model (${(e as Error).message.split("\n")[0]})`);
  }
  if (session.inputNames.length !== 1)
    throw new OnnxModelError(`${where}: the model must have exactly one input (an N×3×H×W image), it has ${session.inputNames.length}`);
  const input = session.inputMetadata[0]!;
  if (
    !input.isTensor ||
    input.type !== "float32" ||
    input.shape.length !== 4 ||
    (typeof input.shape[1] === "number" && input.shape[1] !== 3)
  ) {
    const shape = input.isTensor ? `${input.type} [${input.shape.join(", ")}]` : "not a tensor";
    throw new OnnxModelError(`${where}: the model input '${input.name}' must be a float32 N×3×H×W image, not ${shape}`);
  }
  const [, , h, w] = input.shape;
  const inputSize = typeof h === "number" && typeof w === "number" && h > 0 && w > 0 ? { height: h, width: w } : null;
  const inputName = input.name;
  const outputName = session.outputNames[0]!;
  return {
    session,
    where,
    inputName,
    inputSize,
    outputName,
    metadata,
    async run(chw, height, width) {
      const feeds = { [inputName]: new ort.Tensor("float32", chw, [1, 3, height, width]) };
      const out = await session.run(feeds);
      const t = out[outputName] as Tensor;
      if (t.type !== "float32") throw new Error(`${where}: the model output '${outputName}' is ${t.type}, not float32`);
      return t;
    },
  };
}
