/**
 * Reads chosen entries of a stored ZIP (a result archive: the server's result pages, the demo's summary) into memory,
 * streaming the archive once and inflating in small slices (src/shared/zip/extract.ts): entries the filter refuses
 * are skipped without inflating. The bytes read are bounded (`maxBytes`, a ZIP bomb stops there).
 */
import { Unzip, UnzipInflate } from "fflate";
import { pushInSlices } from "./extract.ts";

export class ZipEntriesTooLarge extends Error {}

export async function readZipEntries(blob: Blob, want: (name: string) => boolean, maxBytes: number): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  let total = 0;
  let failed: Error | undefined;
  const unzip = new Unzip((file) => {
    if (failed || file.name.endsWith("/") || !want(file.name)) return;
    const parts: Uint8Array[] = [];
    file.ondata = (err, data, final) => {
      if (err) failed ??= err;
      if (failed) return;
      total += data.length;
      if (total > maxBytes) {
        failed = new ZipEntriesTooLarge(`the chosen entries exceed ${maxBytes} bytes`);
        return;
      }
      parts.push(data);
      if (final) out.set(file.name, Buffer.concat(parts));
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  const reader = blob.stream().getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    pushInSlices(unzip, value, false, () => failed);
    if (failed) {
      await reader.cancel().catch(() => {});
      throw failed;
    }
  }
  unzip.push(new Uint8Array(0), true);
  if (failed) throw failed;
  return out;
}
