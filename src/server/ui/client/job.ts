/**
 * One job: state, pages done/total, the user log, cancel, download of the result ZIP, the page viewer; a job still
 * `new` lists the files it waits for and takes them here (resuming a submission after a reload).
 */
import { api, apiBlob, path, saveBlob } from "./api.ts";
import type { Me } from "./api.ts";
import { watchJobs } from "./events.ts";
import { errorText, isFinished, percent, when } from "./format.ts";
import { html, useCallback, useEffect, useState } from "./html.ts";
import { StateBadge } from "./jobs.ts";
import { pending, PENDING } from "./submit.ts";
import { classify, DropZone, ProgressList, uploadAll, type Picked, type Progress } from "./upload.ts";

interface JobImage {
  name: string;
  order: number;
  image_uploaded: boolean;
  alto_uploaded: boolean;
  page_uploaded: boolean;
}
interface Job {
  id: string;
  state: string;
  progress: number;
  created_date: string;
  started_date?: string;
  finished_date?: string;
  last_change: string;
  log_user?: string;
  engine_name?: string;
  engine_version?: string;
  alto_required: boolean;
  page_required: boolean;
  meta_json_required: boolean;
  meta_json_uploaded: boolean;
  images: JobImage[];
}

function missingFiles(job: Job): string[] {
  const out: string[] = [];
  for (const im of job.images) {
    if (!im.image_uploaded) out.push(`image ${im.name}`);
    if (job.alto_required && !im.alto_uploaded) out.push(`ALTO for ${im.name}`);
    if (job.page_required && !im.page_uploaded) out.push(`PAGE XML for ${im.name}`);
  }
  if (job.meta_json_required && !job.meta_json_uploaded) out.push("metadata JSON");
  return out;
}

function Resume({ job, onDone }: { job: Job; onDone: () => void }) {
  const [picked, setPicked] = useState<Picked[]>([]);
  const [progress, setProgress] = useState<Progress>({});
  const missing = missingFiles(job);
  const add = async (files: File[]) => {
    const names = new Set(job.images.map((i) => i.name));
    const chosen = (await classify(files)).filter((p) => p.kind === "metadata" || (p.image !== null && names.has(p.image)));
    setPicked(chosen);
    await uploadAll(job.id, chosen, (n, v) => setProgress((p) => ({ ...p, [n]: v })));
    onDone();
  };
  return html`<div class="card">
    <h2>Waiting for files</h2>
    <p>The job starts once every file is uploaded. Still missing: ${missing.join(", ") || "nothing"}.</p>
    <${DropZone} onFiles=${add} label="Drop the missing files here to continue the upload." />
    ${picked.length > 0 && html`<${ProgressList} picked=${picked} progress=${progress} />`}
  </div>`;
}

export function JobPage({ jobId, me }: { jobId: string; me: Me }) {
  const [job, setJob] = useState<Job | null>(null);
  const [error, setError] = useState("");
  const [note, setNote] = useState("");
  const load = useCallback(() => {
    api<Job>("GET", path`/v1/jobs/${jobId}`)
      .then(setJob)
      .catch((e) => setError(errorText(e)));
  }, [jobId]);
  useEffect(() => {
    load();
    return watchJobs(
      (j) => j.id === jobId && load(),
      load,
      () => {},
    );
  }, [load]);

  useEffect(() => {
    if (job && job.state !== "new" && pending()?.jobId === job.id) localStorage.removeItem(PENDING); // the submission is complete
  }, [job?.state]);

  if (error) return html`<p class="error" role="alert">${error}</p>`;
  if (!job) return html`<p class="loading">Loading…</p>`;
  const total = job.images.length;
  const done = job.state === "done" ? total : Math.floor(job.progress * total + 1e-9);
  const cancel = async () => {
    if (!confirm("Cancel this job?")) return;
    try {
      await api("PATCH", path`/v1/jobs/${jobId}`, { json: { state: "cancelled" } });
      load();
    } catch (e) {
      setError(errorText(e));
    }
  };
  const download = async () => {
    setNote("Downloading…");
    try {
      saveBlob(await apiBlob(path`/v1/jobs/${jobId}/result`), `${jobId}.zip`);
      setNote("");
    } catch (e) {
      setNote(errorText(e));
    }
  };
  return html`<section aria-labelledby="job-h">
    <p><a href="#/jobs">← All jobs</a></p>
    <h1 id="job-h">Job <code>${job.id}</code></h1>
    <dl class="facts">
      <dt>State</dt><dd><${StateBadge} state=${job.state} /></dd>
      <dt>Pages</dt><dd><span class="pages-done">${done} / ${total}</span> <progress max="1" value=${job.progress} aria-label="progress"></progress> ${percent(job.progress)}</dd>
      <dt>Engine</dt><dd>${job.engine_name ? `${job.engine_name} ${job.engine_version ?? ""}` : "–"}</dd>
      <dt>Created</dt><dd>${when(job.created_date)}</dd>
      <dt>Started</dt><dd>${when(job.started_date)}</dd>
      <dt>Finished</dt><dd>${when(job.finished_date)}</dd>
    </dl>
    <div class="actions">
      ${
        job.state === "done" &&
        html`<a class="button" href=${`#/jobs/${job.id}/view/1`}>View pages</a>
        <button onClick=${download}>Download result ZIP</button>`
      }
      ${!isFinished(job.state) && me.role !== "readonly" && html`<button class="danger" onClick=${cancel}>Cancel job</button>`}
      ${note && html`<span role="status">${note}</span>`}
    </div>
    ${job.state === "new" && me.role !== "readonly" && html`<${Resume} job=${job} onDone=${load} />`}
    <h2>Log</h2>
    <pre class="log" tabindex="0" aria-label="Job log">${job.log_user || "(empty)"}</pre>
    <h2>Pages</h2>
    <ol class="images">${job.images.map((im) => html`<li>${im.name}</li>`)}</ol>
  </section>`;
}
