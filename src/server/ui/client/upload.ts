/** Choosing and uploading a job's files: the drop zone, file classification, per-file upload with progress. */
import { api, path, uploadFile } from "./api.ts";
import { html, useRef, useState } from "./html.ts";

export type FileKind = "image" | "alto" | "page" | "metadata";
export interface Picked {
  file: File;
  kind: FileKind;
  /** The image it belongs to (ALTO/PAGE by file stem); the image's own name for images. */
  image: string | null;
}

const IMAGE_EXT = /\.(jpe?g|png|tiff?|jp2|webp|bmp|gif)$/i;
const stemOf = (n: string) => (n.lastIndexOf(".") > 0 ? n.slice(0, n.lastIndexOf(".")) : n);

/** Images by extension; XML as ALTO or PAGE by its root element; JSON as the job's metadata. */
export async function classify(files: File[]): Promise<Picked[]> {
  const images = files.filter((f) => IMAGE_EXT.test(f.name) || f.type.startsWith("image/"));
  const byStem = new Map(images.map((f) => [stemOf(f.name), f.name]));
  const out: Picked[] = images.map((f) => ({ file: f, kind: "image", image: f.name }));
  for (const f of files) {
    if (images.includes(f)) continue;
    if (/\.json$/i.test(f.name)) out.push({ file: f, kind: "metadata", image: null });
    else if (/\.xml$/i.test(f.name)) {
      const head = await f.slice(0, 4096).text();
      out.push({ file: f, kind: /<(\w+:)?PcGts[\s>]/.test(head) ? "page" : "alto", image: byStem.get(stemOf(f.name)) ?? null });
    }
  }
  return out;
}

function uploadPath(jobId: string, p: Picked): string {
  if (p.kind === "metadata") return path`/v1/jobs/${jobId}/files/metadata`;
  return path`/v1/jobs/${jobId}/images/${p.image!}/files/` + p.kind;
}

export interface Progress {
  [name: string]: number | string; // fraction, or an error text
}

/** Uploads every file in turn (metadata is a JSON body, not multipart); `onProgress` gets name → fraction or error. */
export async function uploadAll(jobId: string, picked: Picked[], onProgress: (name: string, v: number | string) => void): Promise<boolean> {
  let ok = true;
  for (const p of picked) {
    try {
      if (p.kind === "metadata") {
        await api("PUT", uploadPath(jobId, p), { json: JSON.parse(await p.file.text()) });
        onProgress(p.file.name, 1);
      } else {
        await uploadFile(uploadPath(jobId, p), p.file, p.file.name, (f) => onProgress(p.file.name, f));
        onProgress(p.file.name, 1);
      }
    } catch (e) {
      ok = false;
      onProgress(p.file.name, e instanceof Error ? e.message : String(e));
    }
  }
  return ok;
}

export function DropZone({ onFiles, label }: { onFiles: (files: File[]) => void; label: string }) {
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  return html`<div
    class=${`drop ${over ? "over" : ""}`}
    onDragOver=${(e: DragEvent) => (e.preventDefault(), setOver(true))}
    onDragLeave=${() => setOver(false)}
    onDrop=${(e: DragEvent) => {
      e.preventDefault();
      setOver(false);
      onFiles([...(e.dataTransfer?.files ?? [])]);
    }}
  >
    <p>${label}</p>
    <label class="button" for="file-input">Choose files…</label>
    <input id="file-input" ref=${input} type="file" multiple class="visually-hidden"
      onChange=${(e: Event) => onFiles([...((e.target as HTMLInputElement).files ?? [])])} />
  </div>`;
}

export function ProgressList({ picked, progress }: { picked: Picked[]; progress: Progress }) {
  return html`<ul class="files">
    ${picked.map((p) => {
      const v = progress[p.file.name];
      return html`<li key=${p.file.name}>
        <span class="kind">${p.kind}</span> <span class="fname">${p.file.name}</span>
        ${p.kind !== "image" && p.kind !== "metadata" && !p.image ? html` <span class="error">no image named ${stemOf(p.file.name)}.*</span>` : ""}
        ${
          typeof v === "string"
            ? html` <span class="error" role="alert">${v}</span>`
            : v !== undefined
              ? html` <progress max="1" value=${v} aria-label=${`upload of ${p.file.name}`}></progress> ${v >= 1 ? "✓" : ""}`
              : ""
        }
      </li>`;
    })}
  </ul>`;
}
