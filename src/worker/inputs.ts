/**
 * Job inputs on disk (docs/protocol.md §9.3 step 4, docs/processor.md §7.1): `images/<original name>`,
 * `alto/<stem>.xml` and `page_xml/<stem>.xml` when required, `meta.json` when required. Image
 * bytes are saved exactly as served. Names are checked before they become paths.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { ApiClient, Job } from "../client/api.ts";
import { StepError } from "./errors.ts";
import { safeChild, stem } from "./paths.ts";

export interface JobInputs {
  imagesDir: string;
  altoDir?: string;
  pageDir?: string;
  metaFile?: string;
}

export async function downloadInputs(api: ApiClient, job: Job, jobDir: string, opts: { concurrency?: number } = {}): Promise<JobInputs> {
  const inputs: JobInputs = { imagesDir: join(jobDir, "images") };
  await mkdir(inputs.imagesDir, { recursive: true });
  if (job.alto_required) await mkdir((inputs.altoDir = join(jobDir, "alto")), { recursive: true });
  if (job.page_required) await mkdir((inputs.pageDir = join(jobDir, "page_xml")), { recursive: true });

  const images = [...job.images].sort((a, b) => a.order - b.order);
  // Plan every target first, so a bad name fails the job before anything is fetched, and two
  // images whose stems collide (a.png, a.jpg) cannot overwrite each other's XML.
  const seenStems = new Set<string>();
  const tasks: (() => Promise<unknown>)[] = [];
  for (const img of images) {
    const id = img.id;
    if (!id)
      throw new StepError(
        `Failed to download image ${img.name}`,
        new Error("the server did not send the image id (is this a worker key?)"),
      );
    let imagePath: string;
    try {
      imagePath = safeChild(inputs.imagesDir, img.name, "image name");
    } catch (e) {
      throw new StepError(`Failed to download image ${img.name}`, e);
    }
    tasks.push(() =>
      api.downloadImage(job.id, id, imagePath).catch((e) => Promise.reject(new StepError(`Failed to download image ${img.name}`, e))),
    );
    const xmlName = `${stem(img.name)}.xml`;
    if ((inputs.altoDir || inputs.pageDir) && seenStems.has(xmlName)) {
      throw new StepError(
        `Failed to download job data from server`,
        new Error(`two images share the name stem of ${img.name}; their XML files would collide`),
      );
    }
    seenStems.add(xmlName);
    if (inputs.altoDir) {
      const p = safeChild(inputs.altoDir, xmlName, "image name");
      tasks.push(() =>
        api.downloadAlto(job.id, id, p).catch((e) => Promise.reject(new StepError(`Failed to download ALTO for ${img.name}`, e))),
      );
    }
    if (inputs.pageDir) {
      const p = safeChild(inputs.pageDir, xmlName, "image name");
      tasks.push(() =>
        api.downloadPage(job.id, id, p).catch((e) => Promise.reject(new StepError(`Failed to download PAGE for ${img.name}`, e))),
      );
    }
  }
  if (job.meta_json_required) {
    const p = (inputs.metaFile = join(jobDir, "meta.json"));
    tasks.push(() => api.downloadMetadata(job.id, p).catch((e) => Promise.reject(new StepError("Failed to download meta JSON", e))));
  }
  await runLimited(tasks, opts.concurrency ?? 4);
  return inputs;
}

/** Runs tasks with at most `limit` in flight; the first failure is thrown after in-flight ones settle. */
async function runLimited(tasks: (() => Promise<unknown>)[], limit: number): Promise<void> {
  let next = 0;
  let failure: unknown;
  const lane = async () => {
    while (failure === undefined && next < tasks.length) {
      const task = tasks[next++]!;
      try {
        await task();
      } catch (e) {
        failure ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, lane));
  if (failure !== undefined) throw failure;
}
