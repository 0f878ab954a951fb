/**
 * Worker thread of tiff-thread.ts: decodes a TIFF (utif2, synchronous JavaScript) and answers its size or why it
 * cannot be decoded; the pixels stay here and are collected before the next request.
 */
import { isImageError } from "./errors.ts";
import { decodeTiff } from "./tiff.ts";

declare const self: Worker;

self.onmessage = (e: MessageEvent<{ id: number; bytes: Uint8Array }>) => {
  const { id, bytes } = e.data;
  try {
    const img = decodeTiff(bytes);
    postMessage({ id, width: img.width, height: img.height });
  } catch (err) {
    postMessage({ id, code: isImageError(err) ? err.code : undefined, message: err instanceof Error ? err.message : String(err) });
  }
  Bun.gc(true); // the decoded samples are garbage now: free them before the budget that counted them is given back
};
