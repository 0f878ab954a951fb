/**
 * Streaming multipart/form-data upload (routes with a `file` part, docs/protocol.md §4.7, §4.15, §4.22):
 * the request body is fed chunk by chunk into @fastify/busboy and the `file` part is streamed into
 * a staged storage file — never held whole in memory. Errors:
 *  - not multipart at all / no `file` part → 422 `missing` at ["body","file"];
 *  - a non-file field named `file` → 422 (value_error);
 *  - multipart without boundary or otherwise unparseable → 400 HTTP_ERROR with the parser message;
 *  - file larger than MAX_UPLOAD_BYTES → 413 FILE_TOO_LARGE;
 *  - body cut off (client went away, malformed chunked encoding) → the staged file is deleted; 400, logged at WARN.
 * Other parts are drained and ignored; only the first `file` part counts.
 */
import { Busboy } from "@fastify/busboy";
import type { Readable } from "node:stream";
import { AppError } from "../errors.ts";
import { readBodyChunk, unreadableBody } from "./body-read.ts";
import { validationError } from "./validation.ts";
import type { StagedFile, StagingWriter, Storage, StorageArea } from "../../storage/storage.ts";

const FILE_FIELD = "file";
/**
 * A job input whose request announces at most this many bytes is also kept in memory while it is staged, so the
 * image and XML checks do not read it back from the file (server benchmark: a 340 KB page's read-back cost the event
 * loop four thread-pool round trips and a copy through the kernel). Larger pages are read from the file as before.
 */
const KEEP_JOB_INPUT_BYTES = 4 << 20;

function missingFile(): AppError {
  return validationError([{ type: "missing", loc: ["body", FILE_FIELD], msg: "Field required", input: null }]);
}

export async function receiveFilePart(req: Request, storage: Storage, area: StorageArea, maxBytes: number): Promise<StagedFile> {
  const contentType = req.headers.get("content-type") ?? "";
  const mediaType = contentType.split(";")[0]!.trim().toLowerCase();
  if (mediaType !== "multipart/form-data") {
    await req.body?.cancel().catch(() => {});
    throw missingFile();
  }
  if (!/;\s*boundary=/i.test(contentType)) {
    await req.body?.cancel().catch(() => {});
    throw new AppError("HTTP_ERROR", { status: 400, detail: "Missing boundary in multipart." });
  }
  let bb: InstanceType<typeof Busboy>;
  try {
    bb = new Busboy({ headers: { "content-type": contentType }, limits: { fileSize: maxBytes, files: 16, fields: 64 } });
  } catch (e) {
    await req.body?.cancel().catch(() => {});
    throw new AppError("HTTP_ERROR", { status: 400, detail: (e as Error).message || "There was an error parsing the body" });
  }

  let writer: StagingWriter | undefined;
  let staged: StagedFile | undefined;
  let failure: AppError | Error | undefined;
  let fileDone: Promise<void> | undefined;
  let fieldNamedFile = false;
  let fileStream: Readable | undefined;

  bb.on("file", (field: string, stream: Readable) => {
    if (field !== FILE_FIELD || fileDone) {
      stream.resume();
      return;
    }
    fileStream = stream;
    fileDone = (async () => {
      let tooLarge = false;
      stream.on("limit", () => {
        tooLarge = true;
      });
      try {
        // only job inputs keep a hash (images.imagehash)
        writer = await storage.stage(area, area === "jobs" ? { md5: true, keepBytes: keepBytesOf(req) } : { md5: false });
        for await (const chunk of stream) {
          if (tooLarge || failure) continue; // keep draining so the parser can finish
          await writer.write(chunk as Uint8Array);
        }
        if (tooLarge) {
          failure ??= new AppError("FILE_TOO_LARGE", {
            detail: `The uploaded file exceeds the size limit of this server (${maxBytes} bytes).`,
          });
          await writer.abort();
          return;
        }
        if (failure) {
          await writer.abort();
          return;
        }
        staged = await writer.finish();
      } catch (e) {
        failure ??= e as Error;
        stream.resume();
        await writer?.abort().catch(() => {});
      }
    })();
  });
  bb.on("field", (field: string) => {
    if (field === FILE_FIELD) fieldNamedFile = true;
  });

  const finished = new Promise<void>((resolve, reject) => {
    bb.on("finish", () => resolve());
    bb.on("error", (e: Error) => reject(e));
  });
  finished.catch(() => {}); // observed below

  // A client that goes away mid-upload aborts the request signal; the pending read then ends and
  // the partial file is discarded below.
  const reader = req.body?.getReader();
  let disconnected = false;
  const onAbort = () => {
    disconnected = true;
    reader?.cancel().catch(() => {});
  };
  req.signal.addEventListener("abort", onAbort, { once: true });
  try {
    if (reader) {
      for (;;) {
        const { done, value } = await readBodyChunk(req, reader);
        if (disconnected) throw unreadableBody(req, "the client disconnected during the upload");
        if (done) break;
        if (!bb.write(value)) {
          await new Promise<void>((resolve, reject) => {
            const onDrain = () => {
              bb.off("error", onError);
              resolve();
            };
            const onError = (e: Error) => {
              bb.off("drain", onDrain);
              reject(e);
            };
            bb.once("drain", onDrain);
            bb.once("error", onError);
          });
        }
      }
    }
    bb.end();
    await finished;
    await fileDone;
  } catch (e) {
    req.signal.removeEventListener("abort", onAbort);
    failure ??= e instanceof AppError ? e : new AppError("HTTP_ERROR", { status: 400, detail: parserMessage(e as Error) });
    bb.destroy();
    fileStream?.destroy(e as Error); // ends the part's read loop, which then aborts the staged write
    await fileDone?.catch(() => {});
    await writer?.abort().catch(() => {});
    if (staged) await storage.discard(staged);
    throw failure;
  }
  req.signal.removeEventListener("abort", onAbort);
  if (failure) {
    if (staged) await storage.discard(staged);
    throw failure;
  }
  if (!staged) {
    if (fieldNamedFile) {
      throw validationError([
        { type: "value_error", loc: ["body", FILE_FIELD], msg: "Value error, Expected UploadFile, received: <class 'str'>", input: null },
      ]);
    }
    throw missingFile();
  }
  return staged;
}

/** The request's Content-Length when it is small enough to keep a job input in memory (the file is smaller still). */
function keepBytesOf(req: Request): number | undefined {
  const n = Number(req.headers.get("content-length") ?? Number.NaN);
  return Number.isSafeInteger(n) && n > 0 && n <= KEEP_JOB_INPUT_BYTES ? n : undefined;
}

function parserMessage(e: Error): string {
  const m = e?.message ?? "";
  if (/boundary/i.test(m)) return "Missing boundary in multipart.";
  return "There was an error parsing the body";
}
