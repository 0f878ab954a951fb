/**
 * A request body that cannot be read to its end — a malformed chunked encoding (Bun has then already answered
 * 400 and closes the connection) or a client that went away mid-body — is the client's problem, not the
 * server's: one WARN line with the reason (never the body), and a 400 for whoever still listens.
 */
import { consola } from "consola";
import { AppError } from "../errors.ts";

export function unreadableBody(req: Request, reason: unknown): AppError {
  const why = reason instanceof Error ? reason.message || reason.name : String(reason);
  let path = req.url;
  try {
    path = new URL(req.url).pathname;
  } catch {
    // keep the raw form
  }
  consola.warn(
    `${req.method} ${path}: 400, the request body could not be read (malformed chunked encoding or the client closed the connection): ${why}`,
  );
  return new AppError("HTTP_ERROR", { status: 400, detail: "There was an error reading the body" });
}

/** `read()` of a body reader, a failure turned into {@link unreadableBody}. */
export async function readBodyChunk(req: Request, reader: ReadableStreamDefaultReader<Uint8Array>) {
  try {
    return await reader.read();
  } catch (e) {
    throw unreadableBody(req, e);
  }
}
