/**
 * The result of a done job for the dashboard's page viewer (extension, docs/decisions.md §11): `GET …/result/pages` lists the
 * job's pages with the elements read from the result ZIP's ALTO files (shared/alto-elements.ts), and
 * `GET …/result/pages/{image_name}/image` gives a page's image as a browser can show it (server/files/page-image.ts). Same keys and answers as
 * `GET /v1/jobs/{job_id}/result` (the owner or an admin; 409/410/425 for a job without a result).
 */
import { listImages } from "../../db/images.ts";
import { readAltoElements } from "../../shared/alto-elements.ts";
import { ImageNameParams, JobIdParams } from "../../shared/schemas/jobs.ts";
import { ResultPagesSchema, type ResultPage } from "../../shared/schemas/results.ts";
import type { AppDeps } from "../context.ts";
import { AppError, envelopeOk } from "../errors.ts";
import { contentDisposition, stem } from "../http/file-response.ts";
import { browserPageImage } from "../files/page-image.ts";
import { defineRoute } from "../route.ts";
import { readZipEntries, ZipEntriesTooLarge } from "../../shared/zip/read-entries.ts";
import { doneJobResult } from "./results.ts";

/** ALTO read from one result at most (a page's ALTO is tens of kB; 10,000 pages fit). */
const MAX_ALTO_BYTES = 512 * 1024 * 1024;
const resultErrors = {
  403: { code: ["API_KEY_FORBIDDEN_FOR_JOB" as const] },
  404: { code: ["JOB_NOT_FOUND" as const] },
  409: { code: ["JOB_CANCELLED" as const, "JOB_FAILED" as const] },
  410: { code: ["JOB_RESULT_GONE" as const] },
  425: { code: ["JOB_RESULT_NOT_READY" as const] },
};

export const resultPageRoutes = (deps: AppDeps) => [
  defineRoute({
    method: "GET",
    path: "/v1/jobs/{job_id}/result/pages",
    roles: ["readonly", "user"],
    params: JobIdParams,
    doc: {
      tag: "User",
      summary: "The result's pages and detected elements as JSON",
      description:
        "Every image of a done job, in order, with the elements of its ALTO in the result ZIP (`alto/<stem>.xml`): " +
        "category, confidence, caption, OCR text and box in pixels.",
      responses: { 200: { code: ["JOB_RESULT_RETRIEVED"], data: ResultPagesSchema }, ...resultErrors },
    },
    handler: async ({ key, params }) => {
      const { job, stored } = await doneJobResult(deps, key, params.job_id);
      const images = await listImages(deps.sql, job.id);
      let altos: Map<string, Uint8Array>;
      try {
        altos = await readZipEntries(stored.body, (name) => /^alto\/[^/]+\.xml$/.test(name), MAX_ALTO_BYTES);
      } catch (e) {
        if (e instanceof ZipEntriesTooLarge)
          throw new AppError("FILE_TOO_LARGE", { detail: `The result's ALTO files exceed ${MAX_ALTO_BYTES} bytes.` });
        throw new AppError("JOB_RESULT_GONE", { detail: `The result ZIP cannot be read: ${(e as Error).message}` });
      }
      const decoder = new TextDecoder();
      const pages: ResultPage[] = images.map((im) => {
        const path = `alto/${stem(im.name)}.xml`;
        const bytes = altos.get(path);
        const base = { name: im.name, order: im.order, alto: bytes ? path : null };
        if (!bytes) return { ...base, width: im.image_width, height: im.image_height, lines: 0, elements: [] };
        try {
          const read = readAltoElements(decoder.decode(bytes));
          return {
            ...base,
            width: read.width ?? im.image_width,
            height: read.height ?? im.image_height,
            lines: read.lines,
            elements: read.elements,
          };
        } catch {
          return { ...base, width: im.image_width, height: im.image_height, lines: 0, elements: [] }; // not ALTO: no elements to show
        }
      });
      return envelopeOk("JOB_RESULT_RETRIEVED", { pages });
    },
  }),
  defineRoute({
    method: "GET",
    path: "/v1/jobs/{job_id}/result/pages/{image_name}/image",
    roles: ["readonly", "user"],
    params: ImageNameParams,
    doc: {
      tag: "User",
      summary: "A page image of a done job, as a browser can show it",
      description:
        "The uploaded image; for a TIFF, the page's render from the result ZIP when there is one, else a JPEG made from it (at most 3000 pixels on the long side).",
      responses: {
        200: { content: "image/*", description: "The page image" },
        ...resultErrors,
        410: { code: ["JOB_RESULT_GONE", "IMAGE_GONE"] },
      },
    },
    handler: async ({ key, params }) => {
      const { job, stored } = await doneJobResult(deps, key, params.job_id);
      const image = (await listImages(deps.sql, job.id)).find((i) => i.name === params.image_name);
      if (!image) throw new AppError("IMAGE_NOT_FOUND_FOR_JOB");
      const shown = await browserPageImage(deps, job.id, image, stored);
      return new Response(shown.body, {
        headers: {
          "content-type": shown.type,
          "content-length": String(shown.body.size),
          "content-disposition": contentDisposition(image.name).replace(/^attachment/, "inline"),
          "cache-control": "private, max-age=3600",
        },
      });
    },
  }),
];
