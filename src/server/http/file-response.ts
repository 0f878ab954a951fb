/**
 * Binary download responses (docs/protocol.md §2.6): the stored bytes, streamed, with a fixed content
 * type, `content-length`, and `Content-Disposition: attachment; filename="…"` for names made only
 * of characters URL-quoting leaves unchanged, else the RFC 5987 `filename*=utf-8''…` form.
 */
import type { StoredFile } from "../../storage/storage.ts";

const SAFE = /^[A-Za-z0-9_.\-~/]*$/;

export function contentDisposition(name: string): string {
  if (SAFE.test(name)) return `attachment; filename="${name}"`;
  const encoded = [...new TextEncoder().encode(name)]
    .map((b) => {
      const ch = String.fromCharCode(b);
      return b < 0x80 && /[A-Za-z0-9_.\-~/]/.test(ch) ? ch : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
    })
    .join("");
  return `attachment; filename*=utf-8''${encoded}`;
}

export function fileResponse(file: StoredFile, contentType: string, filename: string): Response {
  return new Response(file.body, {
    status: 200,
    headers: {
      "content-type": contentType,
      "content-disposition": contentDisposition(filename),
      "content-length": String(file.size),
      "last-modified": new Date(file.mtimeMs).toUTCString(),
      "accept-ranges": "bytes",
    },
  });
}

/** Python os.path.splitext stem: `img1.png`→`img1`, `a.b.tif`→`a.b`, `.hidden`→`.hidden`, `noext`→`noext`. */
export function stem(name: string): string {
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return name;
  // Leading dots do not start an extension (".hidden", "..x").
  if (/^\.+$/.test(name.slice(0, dot))) return name;
  return name.slice(0, dot);
}
