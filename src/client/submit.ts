/**
 * The submit flow (docs/protocol.md §9.4, hardened): create the job (Idempotency-Key, so a retried create
 * never makes two jobs) or resume an existing one, upload whatever the server still lacks with
 * bounded parallelism, wait for the job to end, save the result. Network errors and 5xx are
 * retried by the connector with backoff; re-uploads are harmless (`…_REUPLOADED`).
 *
 * The flow returns an outcome for every job that ended (done, failed, cancelled) and throws a
 * CliError only when it could not get that far. `signal` interrupts it (Ctrl-C): the caller then
 * decides whether to cancel the job on the server.
 */
import { randomUUID } from "node:crypto";
import { CliError } from "../shared/cli-error.ts";
import { TERMINAL_STATES } from "../shared/roles.ts";
import { ApiError, type ApiClient, type Job, type JobDefinition } from "./api.ts";
import { apiFailure, EXIT } from "./exit-codes.ts";
import type { InputImage, SubmitInputs } from "./inputs.ts";
import type { Reporter } from "./progress.ts";
import { saveResult, type OutputTarget } from "./result.ts";
import type { EngineSettings } from "./settings.ts";

export interface SubmitRequest {
  api: ApiClient;
  apiUrl: string;
  inputs: SubmitInputs;
  output: OutputTarget;
  engineName?: string;
  engineSettings?: EngineSettings;
  /** Resume this job instead of creating one. */
  jobId?: string;
  parallel: number;
  pollIntervalMs: number;
  reporter: Reporter;
  signal?: AbortSignal;
  /** Told the job id as soon as it is known (so an interrupt can cancel it). */
  onJob?: (jobId: string) => void;
}

export interface SubmitOutcome {
  job_id: string;
  state: string;
  /** The server's reason when the job did not end done (log_user, or the state). */
  reason?: string;
  output?: string;
  result_bytes?: number;
  engine?: { name?: string | null; version?: string | null };
  images: number;
  uploaded: { files: number; bytes: number };
  resumed: boolean;
  timings: { created_at: string; finished_at: string; upload_s: number; processing_s: number; download_s: number; total_s: number };
}

export class Interrupted extends Error {
  constructor(readonly jobId: string | undefined) {
    super("interrupted");
    this.name = "Interrupted";
  }
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

function jobDefinition(inputs: SubmitInputs, engineName?: string, engineSettings?: EngineSettings): JobDefinition {
  const def: JobDefinition = { images: inputs.images.map((i) => ({ name: i.name, order: i.order })) };
  if (inputs.altoRequired) def.alto_required = true;
  if (inputs.pageRequired) def.page_required = true;
  if (inputs.metadata) def.meta_json_required = true;
  if (engineName) def.engine_name = engineName;
  if (engineSettings) def.engine_settings = engineSettings;
  return def;
}

interface UploadTask {
  label: string;
  bytes: number;
  run: () => Promise<unknown>;
}

/** What the server still lacks, given the job's view of its images. */
function missingUploads(api: ApiClient, job: Job, inputs: SubmitInputs): { tasks: UploadTask[]; problems: string[] } {
  const byName = new Map<string, InputImage>(inputs.images.map((i) => [i.name, i]));
  const tasks: UploadTask[] = [];
  const problems: string[] = [];
  for (const img of job.images) {
    const local = byName.get(img.name);
    const needs = !img.image_uploaded || (job.alto_required && !img.alto_uploaded) || (job.page_required && !img.page_uploaded);
    if (!local) {
      if (needs) problems.push(`job image ${img.name} is not uploaded yet and not in the images directory (--images DIR)`);
      continue;
    }
    if (!img.image_uploaded)
      tasks.push({ label: `image ${img.name}`, bytes: local.size, run: () => api.uploadImage(job.id, img.name, local.path) });
    if (job.alto_required && !img.alto_uploaded) {
      if (!local.altoPath) problems.push(`the job requires ALTO for ${img.name}: give --alto DIR`);
      else {
        const p = local.altoPath;
        tasks.push({ label: `ALTO for ${img.name}`, bytes: Bun.file(p).size, run: () => api.uploadAlto(job.id, img.name, p) });
      }
    }
    if (job.page_required && !img.page_uploaded) {
      if (!local.pagePath) problems.push(`the job requires PAGE XML for ${img.name}: give --page-xmls DIR`);
      else {
        const p = local.pagePath;
        tasks.push({ label: `PAGE XML for ${img.name}`, bytes: Bun.file(p).size, run: () => api.uploadPage(job.id, img.name, p) });
      }
    }
  }
  if (job.meta_json_required && !job.meta_json_uploaded) {
    const meta = inputs.metadata;
    if (!meta) problems.push("the job requires metadata: give --metadata FILE");
    else tasks.push({ label: "metadata", bytes: JSON.stringify(meta.value).length, run: () => api.uploadMetadata(job.id, meta.value) });
  }
  return { tasks, problems };
}

/** Runs the tasks, at most `parallel` at a time; stops starting new ones after the first failure or an abort. */
async function runPool(
  tasks: UploadTask[],
  parallel: number,
  signal: AbortSignal | undefined,
  onDone: (t: UploadTask) => void,
): Promise<{ task: UploadTask; error: unknown }[]> {
  const failures: { task: UploadTask; error: unknown }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < tasks.length && failures.length === 0 && !signal?.aborted) {
      const task = tasks[next++]!;
      try {
        await task.run();
        onDone(task);
      } catch (error) {
        failures.push({ task, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, tasks.length)) }, worker));
  return failures;
}

const seconds = (ms: number) => Math.round(ms) / 1000;

export async function submit(req: SubmitRequest): Promise<SubmitOutcome> {
  const { api, inputs, reporter, signal } = req;
  const t0 = performance.now();
  const createdAt = new Date().toISOString();
  let job: Job;
  const resumed = !!req.jobId;

  // 1. Create or resume.
  try {
    if (req.jobId) {
      job = await api.getJob(req.jobId);
      reporter.info(`Resuming job ${job.id} (${job.state})`);
    } else {
      job = await api.createJob(jobDefinition(inputs, req.engineName, req.engineSettings), { idempotencyKey: randomUUID() });
      const engine = job.engine_name ? `, engine ${job.engine_name} ${job.engine_version ?? ""}`.trimEnd() : "";
      reporter.info(`Created job ${job.id} (${job.images.length} images${engine}); resume with --job ${job.id}`);
    }
  } catch (e) {
    throw apiFailure(e, req.jobId ? `reading job ${req.jobId}` : "creating the job", req.apiUrl);
  }
  req.onJob?.(job.id);
  if (signal?.aborted) throw new Interrupted(job.id);

  // 2. Upload what is missing (only a job in `new` accepts uploads).
  const tUp = performance.now();
  let uploadedFiles = 0;
  let uploadedBytes = 0;
  if (job.state === "new") {
    const { tasks, problems } = missingUploads(api, job, inputs);
    if (problems.length) {
      throw new CliError(`job ${job.id} does not match the inputs:\n${problems.map((p) => `  - ${p}`).join("\n")}`, EXIT.USAGE);
    }
    const total = tasks.reduce((s, t) => s + t.bytes, 0);
    reporter.uploadStart(tasks.length, total);
    const failures = await runPool(tasks, req.parallel, signal, (t) => {
      uploadedFiles++;
      uploadedBytes += t.bytes;
      reporter.uploadProgress(uploadedFiles, uploadedBytes);
    });
    reporter.uploadEnd();
    if (signal?.aborted) throw new Interrupted(job.id);
    if (failures.length) {
      const first = failures[0]!;
      const err = apiFailure(first.error, `the upload of ${first.task.label}`, req.apiUrl);
      throw new CliError(`${err.message}\njob ${job.id} stays in state new; fix the input and resume with --job ${job.id}`, err.exitCode);
    }
  }
  const uploadMs = performance.now() - tUp;

  // 3. Wait for the job to end. `error` is not final: the server retries the job.
  const tWait = performance.now();
  let view = job;
  let sawNewAfterUpload = false;
  for (;;) {
    if (signal?.aborted) throw new Interrupted(job.id);
    try {
      view = await api.getJob(job.id);
    } catch (e) {
      throw apiFailure(e, `reading job ${job.id}`, req.apiUrl);
    }
    reporter.job({ state: view.state, progress: view.progress, log_user: view.log_user });
    if ((TERMINAL_STATES as readonly string[]).includes(view.state)) break;
    if (view.state === "new") {
      // Every required file is on the server, so the job must have been queued; a second look
      // guards against a read racing the last upload.
      if (sawNewAfterUpload) {
        throw new CliError(
          `job ${job.id} is still in state new although its files were uploaded (an input is missing on the server; resume with --job ${job.id})`,
          EXIT.JOB_FAILED,
        );
      }
      sawNewAfterUpload = true;
    }
    await abortableSleep(req.pollIntervalMs, signal);
  }
  const processingMs = performance.now() - tWait;

  // 4. Save the result.
  const tDown = performance.now();
  let output: string | undefined;
  let resultBytes: number | undefined;
  if (view.state === "done") {
    try {
      const saved = await saveResult(api, job.id, req.output);
      output = saved.path;
      resultBytes = saved.bytes;
    } catch (e) {
      if (e instanceof ApiError) throw apiFailure(e, `downloading the result of job ${job.id}`, req.apiUrl);
      throw new CliError(`saving the result of job ${job.id} failed: ${(e as Error).message}`, EXIT.JOB_FAILED);
    }
  }
  const downloadMs = performance.now() - tDown;
  reporter.end();

  const outcome: SubmitOutcome = {
    job_id: job.id,
    state: view.state,
    output,
    result_bytes: resultBytes,
    engine: view.engine_name ? { name: view.engine_name, version: view.engine_version } : undefined,
    images: view.images.length,
    uploaded: { files: uploadedFiles, bytes: uploadedBytes },
    resumed,
    timings: {
      created_at: createdAt,
      finished_at: new Date().toISOString(),
      upload_s: seconds(uploadMs),
      processing_s: seconds(processingMs),
      download_s: seconds(downloadMs),
      total_s: seconds(performance.now() - t0),
    },
  };
  if (view.state !== "done") outcome.reason = lastLogLine(view.log_user) ?? `the job ended ${view.state}`;
  return outcome;
}

function lastLogLine(log: string | null | undefined): string | undefined {
  const lines = (log ?? "")
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  return lines[lines.length - 1];
}
