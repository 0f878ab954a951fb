/**
 * Support for the client end-to-end tests: real page images, a folder of pages with ALTO and
 * metadata, keys and an engine made through the admin API, and a worker that plays the worker role
 * over real HTTP with the shared connector (lease → progress → upload a result ZIP → done/error).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createCanvas } from "@napi-rs/canvas";
import { strToU8, zipSync } from "fflate";
import { ApiClient, ApiError } from "../src/client/api.ts";
import { stemOf } from "../src/client/inputs.ts";

/** A real JPEG of a page with a heading and noise (noise makes it large when `w`/`h` are). */
export function pageJpeg(label: string, w = 320, h = 440, noise = false): Buffer {
  const c = createCanvas(w, h);
  const g = c.getContext("2d");
  g.fillStyle = "#f4f0e6";
  g.fillRect(0, 0, w, h);
  if (noise) {
    const img = g.getImageData(0, 0, w, h);
    let x = 1234567 ^ label.length;
    for (let i = 0; i < img.data.length; i += 4) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      const v = x & 255;
      img.data[i] = v;
      img.data[i + 1] = (v * 7) & 255;
      img.data[i + 2] = (v * 13) & 255;
    }
    g.putImageData(img, 0, 0);
  }
  g.fillStyle = "#222";
  g.font = "28px sans-serif";
  g.fillText(label, 20, 50);
  g.fillRect(20, 80, w - 40, h / 3);
  return c.toBuffer("image/jpeg", 92);
}

function altoXml(stem: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#"><Description><sourceImageInformation><fileName>${stem}</fileName></sourceImageInformation></Description><Layout><Page ID="${stem}" WIDTH="320" HEIGHT="440"/></Layout></alto>\n`;
}

export interface PageFolder {
  root: string;
  images: string;
  alto: string;
  metadata: string;
  names: string[];
}

/** `names` in a deliberately unnatural creation order; each gets a JPEG and an ALTO file. */
export function makePageFolder(root: string, names: string[], opts: { big?: boolean; metadata?: unknown } = {}): PageFolder {
  const images = join(root, "images");
  const alto = join(root, "alto");
  mkdirSync(images, { recursive: true });
  mkdirSync(alto, { recursive: true });
  for (const n of names) {
    writeFileSync(join(images, n), opts.big ? pageJpeg(n, 1400, 1800, true) : pageJpeg(n));
    writeFileSync(join(alto, `${stemOf(n)}.xml`), altoXml(stemOf(n)));
  }
  const metadata = join(root, "meta.json");
  writeFileSync(metadata, JSON.stringify(opts.metadata ?? { title: "Kronika", year: 1890, pages: names.length }));
  return { root, images, alto, metadata, names };
}

export interface Keys {
  admin: ApiClient;
  user: string;
  worker: string;
}

export async function setupKeys(url: string, adminKey: string, tag: string): Promise<Keys> {
  const admin = new ApiClient({ apiUrl: url, apiKey: adminKey });
  const user = (await admin.createKey(`user-${tag}`, "user")).secret;
  const worker = (await admin.createKey(`worker-${tag}`, "worker")).secret;
  return { admin, user, worker };
}

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

export interface CliRun {
  proc: ReturnType<typeof Bun.spawn>;
  stdout: Promise<string>;
  stderr(): string;
  waitForStderr(re: RegExp, ms?: number): Promise<void>;
  done: Promise<{ code: number; stdout: string; stderr: string }>;
}

const REPO = join(import.meta.dir, "..");

/** Starts `annopage <args>` (or another entry script) as a child; stdout and stderr kept apart. */
export function startCli(args: string[], env: Record<string, string | undefined> = {}, entry = join(REPO, "src/cli.ts")): CliRun {
  const proc = Bun.spawn([process.execPath, entry, ...args], {
    cwd: REPO,
    env: { ...process.env, NO_COLOR: "1", ANNOPAGE_API_URL: undefined, ANNOPAGE_API_KEY: undefined, ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let err = "";
  const errDone = (async () => {
    const dec = new TextDecoder();
    for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) err += dec.decode(chunk, { stream: true });
  })();
  const stdout = new Response(proc.stdout as ReadableStream<Uint8Array>).text();
  return {
    proc,
    stdout,
    stderr: () => err,
    async waitForStderr(re, ms = 30_000) {
      const t0 = Date.now();
      while (!re.test(err)) {
        if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${re} in stderr:\n${err}`);
        if (proc.exitCode !== null) throw new Error(`exited ${proc.exitCode} before ${re}; stderr:\n${err}`);
        await Bun.sleep(20);
      }
    },
    done: (async () => {
      const code = await proc.exited;
      await errDone;
      return { code, stdout: await stdout, stderr: err };
    })(),
  };
}

export function runCli(args: string[], env: Record<string, string | undefined> = {}, entry?: string) {
  return startCli(args, env, entry).done;
}
