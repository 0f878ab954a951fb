/** A configured ONNX model that cannot be used (missing, malformed, wrong shape): the run fails at start-up. */
export class OnnxModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OnnxModelError";
  }
}
