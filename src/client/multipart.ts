/** The streamed multipart upload body of the API connector (api.ts). */
import { randomUUID } from "node:crypto";
import { open, stat } from "node:fs/promises";

/**
 * A multipart/form-data body with one part `file`, streamed from disk in 256 KiB chunks. The
 * length is computed up front so the request carries Content-Length (no chunked encoding).
 */
export async function multipartFromFile(file: { path: string; filename: string; contentType?: string }): Promise<{
  stream: ReadableStream<Uint8Array>;
  contentType: string;
  length: number;
  /** Closes the file (idempotent); the stream ends early if it was still being read. */
  close(): Promise<void>;
}> {
  const size = (await stat(file.path)).size;
  const boundary = `----annopage-${randomUUID()}`;
  const safeName = file.filename.replace(/["\r\n\\]/g, "_");
  const head = new TextEncoder().encode(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${safeName}"\r\n` +
      (file.contentType ? `Content-Type: ${file.contentType}\r\n` : "") +
      "\r\n",
  );
  const tail = new TextEncoder().encode(`\r\n--${boundary}--\r\n`);
  const chunkSize = 256 * 1024;
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  let phase: "head" | "body" | "tail" | "end" = "head";
  let closed = false;
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (phase === "head") {
          controller.enqueue(head);
          const opened = await open(file.path, "r");
          if (closed) return void (await opened.close());
          fh = opened;
          phase = "body";
          return;
        }
        if (phase === "body") {
          const buf = new Uint8Array(Math.min(chunkSize, Math.max(1, size - sent)));
          const { bytesRead } = await fh!.read(buf, 0, buf.length, sent);
          if (bytesRead > 0 && sent < size) {
            sent += bytesRead;
            controller.enqueue(buf.subarray(0, bytesRead));
            return;
          }
          if (sent !== size) throw new Error(`${file.path} changed size while uploading`);
          await fh!.close();
          fh = undefined;
          phase = "tail";
        }
        if (phase === "tail") {
          controller.enqueue(tail);
          phase = "end";
          controller.close();
        }
      } catch (e) {
        await fh?.close().catch(() => {});
        fh = undefined;
        controller.error(e);
      }
    },
    async cancel() {
      await fh?.close().catch(() => {});
      fh = undefined;
    },
  });
  const close = async () => {
    closed = true;
    phase = "end";
    const h = fh;
    fh = undefined;
    await h?.close().catch(() => {});
  };
  return { stream, contentType: `multipart/form-data; boundary=${boundary}`, length: head.length + size + tail.length, close };
}
