/**
 * One leased job from start to finish (docs/protocol.md §9.3, docs/processor.md §7):
 * job details → engine files (cached) → inputs → config → processor (heartbeats, streamed log
 * and progress) → result ZIP → upload → done. A failure becomes `error` with a message a person
 * can act on; a job that is no longer ours (cancelled, reclaimed) is dropped silently (the
 * processor is killed); when the worker is shutting down the job is given back (DELETE …/lease).
 */
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { ApiClient, Job, JobLease } from "../client/api.ts";
import { ensureEngine } from "./engine-cache.ts";
import { isJobLost, JobLostError, lostReason, StepError } from "./errors.ts";
import { downloadInputs } from "./inputs.ts";
import { JobLog } from "./job-log.ts";
import { LeaseKeeper } from "./lease-keeper.ts";
import type { WorkerOptions } from "./options.ts";
import { isUuid, timestampForName } from "./paths.ts";
import { PageTally } from "./page-progress.ts";
import { startProcessor, type ProcessorResult } from "./processor.ts";
import { prepareConfig, processorArgs, type EngineSettings } from "./processor-config.ts";
import { zipDirectory } from "../shared/zip/write.ts";

/** Exit code of `annopage process` when some (not all) pages failed. */
const PARTIAL_EXIT = 3;

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export type JobOutcome = "done" | "error" | "lost" | "released";

export interface JobReport {
  jobId: string;
  outcome: JobOutcome;
  /** Why the job ended in error / was lost / released. */
  reason?: string;
  /** Wall time from the lease answer to the final answer, and the part spent in the processor. */
  totalMs: number;
  processorMs: number;
}

export interface JobContext {
  api: ApiClient;
  options: WorkerOptions;
  log: Logger;
  /** Aborted when the worker must give running jobs back (shutdown grace period is over). */
  release: AbortSignal;
}

class ReleaseRequested extends Error {
  constructor() {
    super("worker is shutting down");
    this.name = "ReleaseRequested";
  }
}

export async function runJob(ctx: JobContext, lease: JobLease): Promise<JobReport> {
  const started = performance.now();
  let processorMs = 0;
  const { api, options, log } = ctx;
  const jobId = lease.id;
  const keeper = new LeaseKeeper(api, lease, { maxIntervalMs: options.heartbeatMs, onWarn: (m) => log.warn(m) });
  const jobLog = new JobLog(api, keeper, { flushMs: options.logFlushMs, maxLogBytes: options.maxLogBytes, onWarn: (m) => log.warn(m) });
  let workerLog: WriteStream | undefined;
  let jobDir: string | undefined;
  const report = (outcome: JobOutcome, reason?: string): JobReport => ({
    jobId,
    outcome,
    reason,
    totalMs: performance.now() - started,
    processorMs,
  });

  /** Throws if the job was lost or must be released; call between steps. */
  const guard = () => {
    if (keeper.lost) throw keeper.lost;
    if (ctx.release.aborted) throw new ReleaseRequested();
  };
  /** Runs one step; failures other than lost/release become StepError(userMessage). */
  const step = async <T>(userMessage: string, fn: () => Promise<T>): Promise<T> => {
    guard();
    try {
      const out = await fn();
      guard();
      return out;
    } catch (e) {
      if (e instanceof JobLostError || e instanceof ReleaseRequested) throw e;
      const cause = e instanceof StepError ? e.cause : e;
      keeper.check(cause);
      if (keeper.lost) throw keeper.lost;
      throw e instanceof StepError ? e : new StepError(userMessage, e);
    }
  };
  const note = (line: string) => workerLog?.write(`${new Date().toISOString()} ${line}\n`);

  keeper.start();
  try {
    if (!isUuid(jobId)) throw new StepError("Failed to get job details", new Error(`job id ${JSON.stringify(jobId)} is not a UUID`));
    const job: Job = await step("Failed to get job details", () => api.getJob(jobId));
    jobDir = join(options.jobsDir, `${timestampForName(job.started_date ?? lease.server_time)}.${jobId.toLowerCase()}`);
    const dir = jobDir;
    await step("Unable to create job workspace directory", () => mkdir(dir, { recursive: true }));
    workerLog = createWriteStream(join(dir, "worker.log"), { flags: "a" });
    note(`leased job ${jobId} (attempt ${(job.previous_attempts ?? 0) + 1})`);

    const engine = await step("Failed to download or prepare engine files", () =>
      ensureEngine(api, job, options.enginesDir, { cleanupOld: options.cleanupOldEngines }),
    );
    if (!engine) {
      throw new StepError(
        "The job's engine has no files to run",
        new Error(
          job.engine_id
            ? `engine ${job.engine_name ?? job.engine_id} ${job.engine_version ?? ""} has no uploaded files`
            : "the job has no engine",
        ),
      );
    }
    note(`engine ${job.engine_name} ${job.engine_version}: ${engine.dir}${engine.downloaded ? " (downloaded)" : " (cached)"}`);

    const inputs = await step("Failed to download job data from server", () => downloadInputs(api, job, dir));
    const resultDir = join(dir, "result");
    await rm(resultDir, { recursive: true, force: true });
    await mkdir(resultDir, { recursive: true });
    const settings: EngineSettings = job.engine_settings ?? {};
    const configPath = await step("Failed to prepare the engine configuration", () => prepareConfig(engine.dir, dir, settings));
    const argv = [
      ...options.processor,
      ...processorArgs({
        configPath,
        inputs,
        resultDir,
        settings,
        loggingLevel: options.loggingLevel,
        device: options.device,
        processCount: options.processCount,
      }),
    ];

    // ---- processor
    guard();
    jobLog.start();
    jobLog.userLine(`Processing ${job.images.length} page(s) with ${job.engine_name ?? "engine"} ${job.engine_version ?? ""}`.trim());
    jobLog.setProgress(0);
    note(`running: ${argv.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(" ")}`);
    const t0 = performance.now();
    // Progress is the job's: pages finished across all of the processor's processes / the job's pages.
    const pages = new PageTally(job.images.length);
    const result = await runProcessor(argv, dir, options, keeper, ctx.release, (stream, line) => {
      workerLog?.write(`[${stream}] ${line}\n`);
      log.debug(`job ${jobId} processor ${stream}: ${line}`); // docs/processor.md §7.2: the processor's output at DEBUG
      jobLog.line(line);
      const p = pages.add(line);
      if (p) {
        jobLog.setProgress(pages.fraction);
        jobLog.userLine(`Page ${p.done}/${p.total} ${p.failed ? "failed" : "done"}${p.pageId ? ` (${p.pageId})` : ""}`);
      }
    });
    processorMs = performance.now() - t0;
    note(
      `processor exited: code ${result.exitCode}${result.signal ? `, signal ${result.signal}` : ""} after ${(processorMs / 1000).toFixed(2)} s`,
    );
    guard();
    if (result.timedOut) {
      throw new StepError(
        `AnnoPage processing timed out after ${options.processorTimeoutMs / 1000} s and was stopped`,
        new Error(lastLine(result.stderrTail) ?? "no output on stderr"),
        formatTail(result),
      );
    }
    // Our processor's "some pages failed" code (docs/processor.md §1.6 deviation, docs/decisions.md §9): the pages
    // that succeeded are delivered and the job is done, with the failures told in log_user. Any
    // other non-zero code fails the job (§7.2).
    const partial = result.exitCode === PARTIAL_EXIT && options.partialExitCode === true;
    if (partial) {
      jobLog.userLine(`Some pages failed and are missing from the result: ${lastLine(result.stderrTail) ?? "see the log"}`);
    } else if (result.exitCode !== 0) {
      const why = result.exitCode === null ? `was killed by signal ${result.signal}` : `failed with return code ${result.exitCode}`;
      throw new StepError(
        `AnnoPage processing ${why}`,
        new Error(lastLine(result.stderrTail) ?? "no output on stderr"),
        formatTail(result),
      );
    }

    // ---- package and deliver
    const zipPath = join(dir, "result.zip");
    const files = await step("Failed to package processing results", () => zipDirectory(resultDir, zipPath));
    note(`result.zip: ${files} file(s)`);
    if (partial && files === 0) {
      throw new StepError(
        `AnnoPage processing failed for every page (return code ${PARTIAL_EXIT})`,
        new Error(lastLine(result.stderrTail) ?? "no output on stderr"),
        formatTail(result),
      );
    }
    await step("Failed to upload results", () => api.uploadResult(jobId, zipPath, { leaseToken: keeper.token }));
    jobLog.stop();
    await jobLog.flush();
    const pending = jobLog.take();
    // Last write: stop the heartbeats first, so a renewal racing the finish cannot report the
    // (now done) job as lost; only the finish answer itself decides.
    guard();
    keeper.stop();
    try {
      await api.finishJob(jobId, {
        leaseToken: keeper.token,
        log: pending.log,
        log_user: joinLines(pending.log_user, `Done: ${files} result file(s)`),
      });
    } catch (e) {
      if (isJobLost(e)) throw e;
      throw new StepError("Failed to mark job as finished", e);
    }
    note("job done");
    log.info(`job ${jobId} done (${files} result files, processor ${(processorMs / 1000).toFixed(2)} s)`);
    if (options.cleanupJobDir) {
      await closeStream(workerLog);
      workerLog = undefined;
      await rm(dir, { recursive: true, force: true });
    }
    return report("done");
  } catch (e) {
    if (e instanceof JobLostError || isJobLost(e)) {
      const reason = e instanceof JobLostError ? e.message : lostReason(e);
      log.warn(`job ${jobId} dropped: ${reason}`);
      note(`dropped: ${reason}`);
      return report("lost", reason);
    }
    if (e instanceof ReleaseRequested) {
      note("worker shutting down: giving the job back");
      // The lines still waiting for the next log update go out first: after the release the job is no longer ours.
      jobLog.line("[worker] shutting down: the job is given back to the queue");
      jobLog.userLine("The worker stopped; the job goes back to the queue");
      jobLog.stop();
      await jobLog.flush().catch(() => {});
      await jobLog.flush().catch(() => {}); // a flush already running when we asked took only the earlier lines
      try {
        await api.releaseLease(jobId, { leaseToken: keeper.token });
        log.warn(`job ${jobId} released (worker shutting down)`);
        return report("released", "worker shutting down");
      } catch (err) {
        log.error(`job ${jobId}: releasing the lease failed: ${(err as Error).message}`);
        return report("lost", `release failed: ${(err as Error).message}`);
      }
    }
    const se = e instanceof StepError ? e : new StepError("An unexpected error occurred during processing", e);
    return await reportFailure(ctx, keeper, jobLog, se, note, report);
  } finally {
    keeper.stop();
    jobLog.stop();
    await closeStream(workerLog);
  }
}

async function reportFailure(
  ctx: JobContext,
  keeper: LeaseKeeper,
  jobLog: JobLog,
  se: StepError,
  note: (l: string) => void,
  report: (o: JobOutcome, r?: string) => JobReport,
): Promise<JobReport> {
  const jobId = keeper.jobId;
  const cause = se.cause instanceof Error ? `${se.cause.name}: ${se.cause.message}` : String(se.cause);
  const technical = [`${se.userMessage} for job ${jobId}. ${cause}`, se.technical].filter(Boolean).join("\n");
  const causeLine = se.cause instanceof Error ? se.cause.message : String(se.cause);
  const userText = `${se.userMessage}: ${causeLine.length > 300 ? `${causeLine.slice(0, 300)}…` : causeLine}`;
  note(`failed: ${technical}`);
  ctx.log.error(`job ${jobId} failed: ${se.message}`);
  if (se.technical) ctx.log.error(`job ${jobId} processor output (end):\n${se.technical}`); // docs/processor.md §7.2: at ERROR on failure
  jobLog.stop();
  await jobLog.flush();
  const pending = jobLog.take();
  try {
    await ctx.api.failJob(jobId, joinLines(pending.log, technical), joinLines(pending.log_user, userText), { leaseToken: keeper.token });
  } catch (e) {
    if (isJobLost(e)) return report("lost", lostReason(e));
    ctx.log.error(`job ${jobId}: could not mark it as error: ${(e as Error).message} (the lease will expire and the job will be retried)`);
  }
  return report("error", se.message);
}

/** Runs the processor; kills it at once when the job is lost, gracefully when released. */
async function runProcessor(
  argv: string[],
  cwd: string,
  options: WorkerOptions,
  keeper: LeaseKeeper,
  release: AbortSignal,
  onLine: (stream: "stdout" | "stderr", line: string) => void,
): Promise<ProcessorResult & { timedOut: boolean }> {
  const run = startProcessor({ argv, cwd, env: { ...process.env, ...options.processorEnv }, onLine });
  const onLost = () => run.kill();
  const onRelease = () => run.stop(2000);
  keeper.signal.addEventListener("abort", onLost);
  release.addEventListener("abort", onRelease);
  if (keeper.signal.aborted) onLost();
  if (release.aborted) onRelease();
  let timedOut = false;
  const timer =
    options.processorTimeoutMs > 0
      ? setTimeout(() => {
          timedOut = true;
          run.stop(2000);
        }, options.processorTimeoutMs)
      : undefined;
  try {
    return { ...(await run.done), timedOut };
  } finally {
    if (timer) clearTimeout(timer);
    keeper.signal.removeEventListener("abort", onLost);
    release.removeEventListener("abort", onRelease);
  }
}

function lastLine(lines: string[]): string | undefined {
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i]!.trim()) return lines[i]!.trim();
  return undefined;
}

function formatTail(r: ProcessorResult): string {
  return r.stderrTail.length
    ? `Last lines of the processor's stderr:\n${r.stderrTail.join("\n")}`
    : "The processor wrote nothing to stderr.";
}

function joinLines(a: string | undefined, b: string | undefined): string | undefined {
  return [a, b].filter((x) => x).join("\n") || undefined;
}

function closeStream(s: WriteStream | undefined): Promise<void> {
  return new Promise((resolve) => (s && !s.closed ? s.end(() => resolve()) : resolve()));
}
