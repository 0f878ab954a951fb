import type { DetectInput, DetectOptions, DetectedElement } from "./types.ts";

export function detectElements(_page: DetectInput, _options: DetectOptions = {}): DetectedElement[] {
  return []; // replaced by the real pipeline in the next commit
}
