/**
 * The TIFF decode check on a worker thread (tiff-worker.ts): utif2 decodes in synchronous JavaScript, and a 118 KB
 * Deflate TIFF of 11000×11000 pixels takes ~2.8 s — the event loop would answer nothing meanwhile; some damaged LZW
 * strips make it loop for ever. TIFF checks run one at a time on that thread, each for at most TIFF_DECODE_TIMEOUT_MS
 * (then the worker is terminated and the image refused as IMAGE_CORRUPT). Without a worker thread (it could not be
 * started) the decode runs on this one.
 */
import { ImageError, type ImageErrorCode } from "./errors.ts";
import { decodeTiff } from "./tiff.ts";
import { ThreadCall, ThreadTimeout } from "../shared/thread-call.ts";

/** Far more than a TIFF within the pixel limit takes to decode (~1.4 s for 121 Mpx here). */
const TIFF_DECODE_TIMEOUT_MS = 60_000;

type Answer = { width?: number; height?: number; code?: ImageErrorCode; message?: string };

/**
 * The worker's script: next to this file, or in the compiled binary (where every module's import.meta.url is the
 * binary's, /$bunfs/root/annopage) the extra entry point scripts/build.ts adds, named relative to src/ (the entry
 * points' common directory).
 */
const WORKER_URL = new URL(import.meta.url.includes("/$bunfs/") ? "./media/tiff-worker.ts" : "./tiff-worker.ts", import.meta.url).href;

const thread = new ThreadCall<{ bytes: Uint8Array }, Answer>(() => new Worker(WORKER_URL));

/** TIFF checks wait here for the one before them: a timeout then only ever concerns the image being decoded. */
let queue: Promise<unknown> = Promise.resolve();

/** Decodes the first image of the TIFF off the event loop; its size, or the ImageError of the decode. */
export function checkTiffDecodes(bytes: Uint8Array, timeoutMs = TIFF_DECODE_TIMEOUT_MS): Promise<{ width: number; height: number }> {
  const run = queue.then(() => decodeOnThread(bytes, timeoutMs));
  queue = run.catch(() => {});
  return run;
}

async function decodeOnThread(bytes: Uint8Array, timeoutMs: number): Promise<{ width: number; height: number }> {
  let a: Answer | undefined;
  try {
    a = await thread.call({ bytes }, timeoutMs);
  } catch (e) {
    if (e instanceof ThreadTimeout) throw new ImageError("IMAGE_CORRUPT", `TIFF could not be decoded within ${timeoutMs / 1000} s`);
    throw e;
  }
  if (!a) {
    const img = decodeTiff(bytes);
    return { width: img.width, height: img.height };
  }
  if (a.code) throw new ImageError(a.code, a.message ?? "TIFF cannot be decoded");
  if (a.width === undefined || a.height === undefined) throw new Error(`TIFF check failed: ${a.message}`);
  return { width: a.width, height: a.height };
}
