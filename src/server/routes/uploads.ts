/**
 * User uploads (docs/protocol.md §4.7): image, ALTO, PAGE (multipart part `file`, streamed to a staged file) and
 * metadata (JSON body). Order: guards (exists → owner → job `new` for users) → route checks →
 * content check (image decoder, XML parser + ALTO/PAGE checks) → rename into place → one database
 * call (sql/006_record_upload.sql annopage_record_upload) that locks the job, sets the uploaded flag and, on a
 * first-time upload, runs the queueing check (§5.2) — only while the job is still the version that
 * was guarded; otherwise the job is read and guarded again. Uploads of one job are serialised by the
 * job lock, so two last files arriving together still queue the job exactly once.
 */
import { readFile } from "node:fs/promises";
import { probeImage, formatInfo, isImageError } from "../../media/index.ts";
import type { ImageRow } from "../../db/images.ts";
import { findJob, findJobAndImage, recordUpload, type JobRow, type UploadedFile } from "../../db/jobs.ts";
import type { KeyRow } from "../../db/keys.ts";
import { ImageNameParams, JobIdParams, MetaJsonSchema } from "../../shared/schemas/jobs.ts";
import type { StagedFile } from "../../storage/storage.ts";
import { nowIso } from "../jobs/clock.ts";
import type { AppDeps } from "../context.ts";
import { AppError, envelopeOk } from "../errors.ts";
import { JOB_CHANGED, untilApplied } from "../jobs/guarded-update.ts";
import { guardJob } from "../middleware/guards.ts";
import { defineRoute } from "../route.ts";
import { checkAlto, checkPage } from "../files/xml-check.ts";
import { decodeXml, XmlEncodingError } from "../../shared/xml-text.ts";
import { parsePyJson, pyJsonDumps } from "../../python-compat/py-json.ts";

const userUploadGuard = { owner: true, state: "new" as const };

/** Job inputs are staged with their MD5 (server/http/multipart.ts hashes the `jobs` area). */
function stagedMd5(file: StagedFile): string {
  if (file.md5 === null) throw new Error("job input staged without its MD5");
  return file.md5;
}

/**
 * Records the upload on the job as guarded (`job`, read before the file was checked); when the job changed since,
 * it is read and guarded again (a job cancelled meanwhile answers 409) and the record retried. Wakes this process's
 * waiting workers when the job got queued. Returns whether it was a first-time upload.
 */
async function record(deps: AppDeps, key: KeyRow, job: JobRow, file: UploadedFile): Promise<boolean> {
  let current = job;
  const r = await untilApplied(async () => {
    const r = await recordUpload(deps.sql, current.id, current.row_version, file, nowIso());
    if (!r.changed) return r;
    current = guardJob(await findJob(deps.sql, job.id), key, userUploadGuard);
    return JOB_CHANGED;
  });
  if (r.queued) await deps.queue.jobsQueued(1, true); // the database function sent the NOTIFY with the commit
  return r.first;
}

/** The job and the named image in one round trip; guards (exists → owner → `new`) run before the image is looked at. */
async function jobAndImage(
  deps: AppDeps,
  key: KeyRow,
  jobId: string,
  name: string,
  check?: (job: JobRow) => void,
): Promise<{ job: JobRow; image: ImageRow }> {
  const found = await findJobAndImage(deps.sql, jobId, { name });
  const job = guardJob(found?.job, key, userUploadGuard);
  check?.(job);
  if (!found!.image) throw new AppError("IMAGE_NOT_FOUND_FOR_JOB");
  return { job, image: found!.image };
}

async function xmlUpload(
  deps: AppDeps,
  key: KeyRow,
  jobId: string,
  imageName: string,
  file: StagedFile,
  kind: "alto" | "page",
): Promise<Response> {
  const { job, image } = await jobAndImage(deps, key, jobId, imageName, (job) => {
    if (kind === "alto" ? !job.alto_required : !job.page_required)
      throw new AppError(kind === "alto" ? "ALTO_NOT_REQUIRED" : "PAGE_NOT_REQUIRED");
  });
  let text: string;
  try {
    text = decodeXml(file.bytes ?? (await readFile(file.path)));
  } catch (e) {
    if (e instanceof XmlEncodingError) throw new AppError("XML_PARSE_ERROR", { details: { reason: e.message } });
    throw e;
  }
  const check = kind === "alto" ? checkAlto(text, deps.config.altoChecks) : checkPage(text, deps.config.pageChecks);
  if (!check.ok) {
    if (check.code === "XML_PARSE_ERROR") throw new AppError("XML_PARSE_ERROR", { details: { reason: check.reason } });
    throw new AppError(kind === "alto" ? "ALTO_SCHEMA_INVALID" : "PAGE_SCHEMA_INVALID", { details: { reason: check.reason } });
  }
  await deps.storage.commit(file, `${jobId}/${image.id}.${kind}.xml`);
  const first = await record(deps, key, job, { kind, imageId: image.id });
  if (kind === "alto") return envelopeOk(first ? "ALTO_UPLOADED" : "ALTO_REUPLOADED", null);
  return envelopeOk(first ? "PAGE_UPLOADED" : "PAGE_REUPLOADED", null);
}

const uploadResponses = (prefix: "IMAGE" | "ALTO" | "PAGE" | "META_JSON") => ({
  201: { code: [`${prefix}_UPLOADED` as const] },
  200: { code: [`${prefix}_REUPLOADED` as const] },
  403: { code: ["API_KEY_FORBIDDEN_FOR_JOB" as const] },
  404: { code: ["JOB_NOT_FOUND" as const, "IMAGE_NOT_FOUND_FOR_JOB" as const] },
  409: { code: ["JOB_NOT_IN_NEW" as const] },
  413: { code: ["FILE_TOO_LARGE" as const] },
});

export const uploadRoutes = (deps: AppDeps) => [
  defineRoute({
    method: "PUT",
    path: "/v1/jobs/{job_id}/images/{image_name}/files/image",
    roles: ["user"],
    params: ImageNameParams,
    body: { file: "jobs" },
    doc: {
      tag: "User",
      showSwitch: "image",
      summary: "Upload an image",
      description:
        "Multipart part `file`. JPEG, PNG, TIFF, WebP, BMP or GIF, stored byte for byte once the decoder accepts it: the size is checked against the pixel limit from the header first; a PNG's chunks, checksums and image data (inflated as a stream: row filters, length) are checked as libpng reads them, and a JPEG's marker segments as libjpeg reads them (libjpeg decodes damaged pixel data with a warning); WebP, TIFF, BMP and GIF (first frame) are decoded in full within the server's memory budget for image checks (an image needing more than all of it is refused). A truncated file is refused.",
      responses: { ...uploadResponses("IMAGE"), 415: { code: ["IMAGE_INVALID"] } },
    },
    handler: async ({ key, params, file }) => {
      const { job, image } = await jobAndImage(deps, key, params.job_id, params.image_name);
      let probe: Awaited<ReturnType<typeof probeImage>>;
      try {
        probe = await probeImage(file.bytes ?? file.path, { budget: deps.imageChecks });
      } catch (e) {
        if (isImageError(e)) throw new AppError("IMAGE_INVALID", { details: { reason: e.message } });
        throw e;
      }
      const ext = formatInfo(probe.format).extension;
      await deps.storage.commit(file, `${job.id}/${image.id}.${ext}`);
      if (image.image_format && image.image_format !== probe.format) {
        await deps.storage.remove("jobs", `${job.id}/${image.id}.${formatInfo(image.image_format as typeof probe.format).extension}`);
      }
      const first = await record(deps, key, job, {
        kind: "image",
        imageId: image.id,
        md5: stagedMd5(file),
        format: probe.format,
        width: probe.width,
        height: probe.height,
      });
      return envelopeOk(first ? "IMAGE_UPLOADED" : "IMAGE_REUPLOADED", null);
    },
  }),
  defineRoute({
    method: "PUT",
    path: "/v1/jobs/{job_id}/images/{image_name}/files/alto",
    roles: ["user"],
    params: ImageNameParams,
    body: { file: "jobs" },
    doc: {
      tag: "User",
      showSwitch: "alto",
      summary: "Upload the ALTO XML of an image",
      description: "Multipart part `file`; only for jobs created with `alto_required`.",
      responses: {
        ...uploadResponses("ALTO"),
        400: { code: ["XML_PARSE_ERROR"] },
        409: { code: ["JOB_NOT_IN_NEW", "ALTO_NOT_REQUIRED"] },
        422: { code: ["ALTO_SCHEMA_INVALID", "REQUEST_VALIDATION_ERROR"] },
      },
    },
    handler: ({ key, params, file }) => xmlUpload(deps, key, params.job_id, params.image_name, file, "alto"),
  }),
  defineRoute({
    method: "PUT",
    path: "/v1/jobs/{job_id}/images/{image_name}/files/page",
    roles: ["user"],
    params: ImageNameParams,
    body: { file: "jobs" },
    doc: {
      tag: "User",
      showSwitch: "page",
      summary: "Upload the PAGE XML of an image",
      description: "Multipart part `file`; only for jobs created with `page_required`.",
      responses: {
        ...uploadResponses("PAGE"),
        400: { code: ["XML_PARSE_ERROR"] },
        409: { code: ["JOB_NOT_IN_NEW", "PAGE_NOT_REQUIRED"] },
        422: { code: ["PAGE_SCHEMA_INVALID", "REQUEST_VALIDATION_ERROR"] },
      },
    },
    handler: ({ key, params, file }) => xmlUpload(deps, key, params.job_id, params.image_name, file, "page"),
  }),
  defineRoute({
    method: "PUT",
    path: "/v1/jobs/{job_id}/files/metadata",
    roles: ["user"],
    params: JobIdParams,
    body: { json: MetaJsonSchema },
    doc: {
      tag: "User",
      showSwitch: "metadata",
      configuredTexts: "metaJson",
      summary: "Upload the job's metadata JSON",
      description: "Any JSON value except null; only for jobs created with `meta_json_required`.",
      responses: { ...uploadResponses("META_JSON"), 409: { code: ["JOB_NOT_IN_NEW", "META_JSON_NOT_REQUIRED"] } },
    },
    handler: async ({ key, params, body, jsonText }) => {
      const job = guardJob(await findJob(deps.sql, params.job_id), key, userUploadGuard);
      if (!job.meta_json_required) throw new AppError("META_JSON_NOT_REQUIRED");
      // docs/protocol.md §4.7.4: stored as Python's json.dump(value, ensure_ascii=False, indent=4) of the body — member order and
      // float/int as sent (a body taken as a plain string is that string)
      const doc = pyJsonDumps(jsonText !== undefined ? parsePyJson(jsonText) : (body as string));
      await deps.storage.put("jobs", `${job.id}/meta.json`, new TextEncoder().encode(doc));
      const first = await record(deps, key, job, { kind: "metadata" });
      return envelopeOk(first ? "META_JSON_UPLOADED" : "META_JSON_REUPLOADED", null);
    },
  }),
];
