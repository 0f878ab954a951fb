/**
 * A worker that plays the worker role over real HTTP with the shared connector (lease → progress → upload a result
 * ZIP → done/error), for the client tests.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { strToU8, zipSync } from "fflate";
import { ApiClient, ApiError } from "../../src/client/api.ts";
import { stemOf } from "../../src/client/inputs.ts";
import { altoXml } from "./files.ts";

/**
 * What the test worker does with a job, chosen by the job's engine_settings so that one worker
 * serves every test: `image_captioning.test_mode` = "fail" (marks the job error with a user log)
 * or "hold" (keeps the lease until released); anything else completes it.
 */
export class HttpWorker {
  private stopped = false;
  private loop?: Promise<void>;
  readonly processed: string[] = [];
  private held = new Set<string>();
  private api: ApiClient;

  constructor(url: string, key: string) {
    this.api = new ApiClient({ apiUrl: url, apiKey: key, retry: { attempts: 30, baseDelayMs: 100, maxDelayMs: 500 } });
  }

  start(): this {
    this.loop = (async () => {
      while (!this.stopped) {
        try {
          const lease = await this.api.leaseJob({ wait: 1 });
          if (lease) await this.handle(lease.id);
        } catch (e) {
          // The server may be down for a moment (restart test), or a job was cancelled under us.
          if (!(e instanceof ApiError)) console.error("test worker:", e);
          await Bun.sleep(100);
        }
      }
    })();
    return this;
  }

  /** Lets a held job go on to completion. */
  release(jobId: string): void {
    this.held.delete(jobId);
  }

  private async handle(jobId: string): Promise<void> {
    const job = await this.api.getJob(jobId);
    const mode = (job.engine_settings?.image_captioning as { test_mode?: string } | undefined)?.test_mode;
    await this.api.updateProgress(jobId, { progress: 0.25, log_user: `started ${job.images.length} pages` });
    if (mode === "fail") {
      await this.api.failJob(jobId, "exit status 2 from the processor", "AnnoPage processing failed with return code 2");
      return;
    }
    if (mode === "hold") {
      this.held.add(jobId);
      while (this.held.has(jobId) && !this.stopped) {
        try {
          await this.api.extendLease(jobId);
        } catch {
          return; // cancelled or reclaimed
        }
        await Bun.sleep(100);
      }
    }
    const files: Record<string, Uint8Array> = {};
    for (const img of [...job.images].sort((a, b) => a.order - b.order)) {
      files[`alto/${stemOf(img.name)}.xml`] = strToU8(altoXml(stemOf(img.name)));
    }
    files["engine_settings.json"] = strToU8(JSON.stringify(job.engine_settings ?? null));
    files["order.txt"] = strToU8(job.images.map((i) => `${i.order} ${i.name}`).join("\n"));
    if (job.meta_json_required) {
      const tmp = join(process.env.TMPDIR ?? "/tmp", `meta-${jobId}.json`);
      await this.api.downloadMetadata(jobId, tmp);
      files["meta.json"] = new Uint8Array(await Bun.file(tmp).arrayBuffer());
    }
    await this.api.updateProgress(jobId, { progress: 0.75, log_user: "pages processed" });
    const zipPath = join(process.env.TMPDIR ?? "/tmp", `result-${jobId}.zip`);
    writeFileSync(zipPath, zipSync(files));
    await this.api.uploadResult(jobId, zipPath);
    await this.api.finishJob(jobId, { log_user: "done" });
    this.processed.push(jobId);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop?.catch(() => {});
  }
}
