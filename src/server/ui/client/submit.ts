/**
 * Submitting pages: drop images (and optional ALTO / PAGE XML / metadata JSON), pick the engine and outputs, create
 * the job with an Idempotency-Key, upload each file with its progress. The submission is remembered in localStorage
 * until it is complete, so after a reload (or a failed upload) its job page asks only for the files still missing.
 */
import { api } from "./api.ts";
import { errorText } from "./format.ts";
import { html, useEffect, useState } from "./html.ts";
import { classify, DropZone, ProgressList, uploadAll, type Picked, type Progress } from "./upload.ts";

interface Engine {
  name: string;
  version: string;
  description: string;
  default: boolean;
}
const OUTPUTS = [
  ["alto", "ALTO XML (elements, captions, text)", true],
  ["renders", "Page renders with the boxes drawn", false],
  ["crops", "Crops of every element", false],
  ["embeddings", "Embeddings", false],
] as const;
export const PENDING = "annopage.pendingSubmission";

interface Pending {
  fingerprint: string;
  key: string;
  /** Set once the job exists: its page takes the files still missing. */
  jobId?: string;
}
export const pending = (): Pending | null => {
  try {
    return JSON.parse(localStorage.getItem(PENDING) ?? "null") as Pending | null;
  } catch {
    return null;
  }
};

export function SubmitPage() {
  const [engines, setEngines] = useState<Engine[]>([]);
  const [engine, setEngine] = useState("");
  const [outputs, setOutputs] = useState<Record<string, boolean>>(Object.fromEntries(OUTPUTS.map(([k, , on]) => [k, on])));
  const [picked, setPicked] = useState<Picked[]>([]);
  const [progress, setProgress] = useState<Progress>({});
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const [, rerender] = useState(0);

  useEffect(() => {
    api<Engine[]>("GET", "/v1/engines")
      .then(setEngines)
      .catch((e) => setError(errorText(e)));
  }, []);

  const add = async (files: File[]) => {
    const more = await classify(files);
    setPicked((old) => [...old.filter((o) => !more.some((m) => m.file.name === o.file.name)), ...more]);
  };
  const images = picked.filter((p) => p.kind === "image");

  const submit = async (e: Event) => {
    e.preventDefault();
    if (images.length === 0) return setError("Add at least one page image.");
    setBusy(true);
    setError("");
    const definition = {
      images: images.map((p, i) => ({ name: p.file.name, order: i + 1 })),
      alto_required: picked.some((p) => p.kind === "alto"),
      page_required: picked.some((p) => p.kind === "page"),
      meta_json_required: picked.some((p) => p.kind === "metadata"),
      engine_name: engine || null,
      engine_settings: { outputs },
    };
    // The same submission (same files, same choices) reuses its Idempotency-Key: a retry after a reload finds its job.
    const fingerprint = JSON.stringify([definition, picked.map((p) => [p.file.name, p.file.size, p.file.lastModified])]);
    const saved = pending();
    const key = saved?.fingerprint === fingerprint ? saved.key : crypto.randomUUID();
    localStorage.setItem(PENDING, JSON.stringify({ fingerprint, key }));
    try {
      const job = await api<{ id: string }>("POST", "/v1/jobs", { json: definition, headers: { "Idempotency-Key": key } });
      localStorage.setItem(PENDING, JSON.stringify({ fingerprint, key, jobId: job.id }));
      const ok = await uploadAll(job.id, picked, (n, v) => setProgress((p) => ({ ...p, [n]: v })));
      if (ok) {
        localStorage.removeItem(PENDING);
        location.hash = `#/jobs/${job.id}`;
      } else setError(`Some files did not upload. Open the job to retry: #/jobs/${job.id}`);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const unfinished = busy ? null : pending();
  return html`<section aria-labelledby="submit-h">
    <h1 id="submit-h">Submit pages</h1>
    ${
      unfinished?.jobId &&
      html`<p class="card" role="status">An earlier submission did not finish uploading.
      <a href=${`#/jobs/${unfinished.jobId}`}>Continue it on its job page</a> or
      <button type="button" class="link" onClick=${() => (localStorage.removeItem(PENDING), rerender((n) => n + 1))}>forget it</button>.</p>`
    }
    <form onSubmit=${submit} class="card">
      <${DropZone} onFiles=${add} label="Drop page images here (JPEG, PNG, TIFF, JPEG 2000), with optional ALTO or PAGE XML per page and a metadata JSON." />
      ${
        picked.length > 0 &&
        html`<${ProgressList} picked=${picked} progress=${progress} />
        <button type="button" class="link" onClick=${() => (setPicked([]), setProgress({}))}>Clear the list</button>`
      }
      <div class="field">
        <label for="engine">Engine</label>
        <select id="engine" value=${engine} onChange=${(e: Event) => setEngine((e.target as HTMLSelectElement).value)}>
          <option value="">Default engine</option>
          ${[...new Set(engines.map((x) => x.name))].map((n) => html`<option value=${n}>${n}</option>`)}
        </select>
      </div>
      <fieldset>
        <legend>Outputs</legend>
        ${OUTPUTS.map(
          ([k, label]) => html`<label class="check"><input type="checkbox" name=${`out-${k}`} checked=${outputs[k]}
            onChange=${(e: Event) => setOutputs({ ...outputs, [k]: (e.target as HTMLInputElement).checked })} /> ${label}</label>`,
        )}
      </fieldset>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <button type="submit" disabled=${busy || images.length === 0}>${busy ? "Uploading…" : `Submit ${images.length} page${images.length === 1 ? "" : "s"}`}</button>
    </form>
  </section>`;
}
