/**
 * OpenAPI particulars of §4.1 / §8 over real HTTP: SHOW_SECTIONS keeps only the listed tags,
 * SHOW_PUT_*=false leaves an upload route out of /openapi.json while the route keeps working, and
 * the texts of POST /v1/jobs, the metadata upload and the result download come from
 * JOB_DEFINITION_*, META_JSON_*, RESULT_* (built-in examples otherwise, which the server accepts).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ConfigError, loadServerConfig } from "../src/config.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";
import { client, makeKey, pngBytes } from "./helpers/server-api.ts";

const IMAGE = "/v1/jobs/{job_id}/images/{image_name}/files/image";
const ALTO = "/v1/jobs/{job_id}/images/{image_name}/files/alto";
const PAGE = "/v1/jobs/{job_id}/images/{image_name}/files/page";
const METADATA = "/v1/jobs/{job_id}/files/metadata";
const UPLOADS = [IMAGE, ALTO, PAGE, METADATA];

const JOB_EXAMPLES = { two_pages: { summary: "Two pages (env)", value: { images: [{ name: "a.jpg", order: 0 }, { name: "b.jpg", order: 1 }] } } };
const META_EXAMPLES = { catalogue: { summary: "Catalogue record (env)", value: { signature: "X-1" } } };
const TEXTS = {
  JOB_DEFINITION_SUMMARY: "Submit a job (env summary)",
  JOB_DEFINITION_DESCRIPTION: "Job description from the environment.",
  JOB_DEFINITION_EXAMPLES: JSON.stringify(JOB_EXAMPLES),
  META_JSON_SUMMARY: "Send metadata (env summary)",
  META_JSON_DESCRIPTION: "Metadata description from the environment.",
  META_JSON_EXAMPLES: JSON.stringify(META_EXAMPLES),
  RESULT_SUMMARY: "Fetch the result (env summary)",
  RESULT_DESCRIPTION: "Result description from the environment.",
  RESULT_EXAMPLE: "(env: zip bytes)",
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = any;

async function openapi(s: TestServer): Promise<Doc> {
  const r = await fetch(`${s.url}/openapi.json`);
  expect(r.status).toBe(200);
  return r.json();
}

function operations(doc: Doc): { path: string; method: string; op: Doc }[] {
  return Object.entries(doc.paths as Record<string, Record<string, Doc>>).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ path, method, op })),
  );
}

/** Creates a job for one PNG image (and metadata when asked) with the user key of `req`. */
async function newJob(req: ReturnType<typeof client>, meta = false): Promise<string> {
  const r = await req("POST", "/v1/jobs", { json: { images: [{ name: "p.png", order: 0 }], meta_json_required: meta } });
  expect(r.status).toBe(201);
  return r.body.data.id;
}

let dflt: TestServer;
let custom: TestServer;
let noMeta: TestServer;
let dfltDoc: Doc;

beforeAll(async () => {
  [dflt, custom, noMeta] = await Promise.all([
    startTestServer(),
    startTestServer({ env: { SHOW_PUT_IMAGE: "false", SHOW_SECTIONS: " User ", ...TEXTS } }),
    startTestServer({ env: { SHOW_PUT_METADATA: "0" } }),
  ]);
  dfltDoc = await openapi(dflt);
});
afterAll(async () => {
  await Promise.all([dflt?.close(), custom?.close(), noMeta?.close()]);
});

describe("defaults", () => {
  test("all four upload paths and every section are documented", () => {
    for (const p of UPLOADS) expect(dfltDoc.paths[p]?.put).toBeDefined();
    const tags = new Set(operations(dfltDoc).map((o) => o.op.tags[0]));
    expect([...tags].sort()).toEqual(["Admin", "Health", "User", "Worker"]);
    expect(dfltDoc.tags).toEqual([{ name: "User" }, { name: "Worker" }, { name: "Admin" }, { name: "Health" }]);
  });

  test("built-in texts are the route table's; built-in examples are accepted by the server", async () => {
    const post = dfltDoc.paths["/v1/jobs"].post;
    expect(post.summary).toBe("Create a job");
    expect(post.description).toContain("Idempotency-Key");
    const result = dfltDoc.paths["/v1/jobs/{job_id}/result"].get;
    expect(result.summary).toBe("Download the result ZIP");
    expect(typeof result.responses["200"].content["application/zip"].example).toBe("string");

    const req = client(dflt, (await makeKey(dflt, "user")).key);
    const jobExamples = Object.values(post.requestBody.content["application/json"].examples) as { value: unknown }[];
    expect(jobExamples.length).toBeGreaterThan(0);
    for (const ex of jobExamples) expect((await req("POST", "/v1/jobs", { json: ex.value })).status).toBe(201);

    const metaExamples = Object.values(dfltDoc.paths[METADATA].put.requestBody.content["application/json"].examples) as { value: unknown }[];
    expect(metaExamples.length).toBeGreaterThan(0);
    const jobId = await newJob(req, true);
    const statuses = [];
    for (const ex of metaExamples) statuses.push((await req("PUT", `/v1/jobs/${jobId}/files/metadata`, { json: ex.value })).status);
    expect(statuses).toEqual([201, ...metaExamples.slice(1).map(() => 200)]);
  });
});

describe("SHOW_PUT_*", () => {
  test("SHOW_PUT_IMAGE=false hides the image upload only; the upload still answers 201", async () => {
    const doc = await openapi(custom);
    expect(doc.paths[IMAGE]?.put).toBeUndefined();
    for (const p of [ALTO, PAGE, METADATA]) expect(doc.paths[p]?.put).toBeDefined();
    // Hiding a route does not renumber the others' operationIds.
    for (const { path, method, op } of operations(doc)) expect(op.operationId).toBe(dfltDoc.paths[path][method].operationId);

    const req = client(custom, (await makeKey(custom, "user")).key);
    const jobId = await newJob(req);
    const up = await req("PUT", `/v1/jobs/${jobId}/images/p.png/files/image`, { file: pngBytes(), fileName: "p.png" });
    expect(up.status).toBe(201);
    expect(up.body.code).toBe("IMAGE_UPLOADED");
    expect((await req("GET", `/v1/jobs/${jobId}`)).body.data.state).toBe("queued");
  });

  test("SHOW_PUT_METADATA=0 hides the metadata upload only; the upload still answers 201", async () => {
    const doc = await openapi(noMeta);
    expect(doc.paths[METADATA].put).toBeUndefined();
    expect(doc.paths[METADATA].get.tags).toEqual(["Worker"]); // the worker's download on the same path stays
    for (const p of [IMAGE, ALTO, PAGE]) expect(doc.paths[p]?.put).toBeDefined();

    const req = client(noMeta, (await makeKey(noMeta, "user")).key);
    const jobId = await newJob(req, true);
    const up = await req("PUT", `/v1/jobs/${jobId}/files/metadata`, { json: { any: "thing" } });
    expect(up.status).toBe(201);
    expect(up.body.code).toBe("META_JSON_UPLOADED");
  });
});

describe("SHOW_SECTIONS", () => {
  test("SHOW_SECTIONS=User keeps only User-tagged operations", async () => {
    const doc = await openapi(custom);
    const ops = operations(doc);
    expect(ops.length).toBeGreaterThan(5);
    for (const o of ops) expect(o.op.tags).toEqual(["User"]);
    expect(doc.tags).toEqual([{ name: "User" }]);
    const userOpsByDefault = operations(dfltDoc).filter((o) => o.op.tags[0] === "User" && o.path !== IMAGE).length;
    expect(ops.length).toBe(userOpsByDefault);
    expect(doc.paths["/v1/me"]?.get).toBeDefined();
    expect(doc.paths["/v1/jobs/lease"]).toBeUndefined();
    expect(doc.paths["/healthz"]).toBeUndefined();
    expect(Object.keys(doc.paths).some((p) => p.startsWith("/v1/admin"))).toBe(false);
    // The hidden sections' routes keep working.
    const worker = client(custom, (await makeKey(custom, "worker")).key);
    expect((await worker("GET", "/v1/me")).status).toBe(200);
    expect((await fetch(`${custom.url}/healthz`)).status).toBe(200);
  });

  test("the list is comma-separated and trimmed", () => {
    const c = loadServerConfig({ SHOW_SECTIONS: " Admin ,Worker,, " });
    expect(c.openapi.sections).toEqual(["Admin", "Worker"]);
  });
});

describe("JOB_DEFINITION_*, META_JSON_*, RESULT_*", () => {
  test("each variable lands in its operation", async () => {
    const doc = await openapi(custom);
    const post = doc.paths["/v1/jobs"].post;
    expect(post.summary).toBe(TEXTS.JOB_DEFINITION_SUMMARY);
    expect(post.description).toBe(TEXTS.JOB_DEFINITION_DESCRIPTION);
    expect(post.requestBody.content["application/json"].examples).toEqual(JOB_EXAMPLES);
    const meta = doc.paths[METADATA].put;
    expect(meta.summary).toBe(TEXTS.META_JSON_SUMMARY);
    expect(meta.description).toBe(TEXTS.META_JSON_DESCRIPTION);
    expect(meta.requestBody.content["application/json"].examples).toEqual(META_EXAMPLES);
    const result = doc.paths["/v1/jobs/{job_id}/result"].get;
    expect(result.summary).toBe(TEXTS.RESULT_SUMMARY);
    expect(result.description).toBe(TEXTS.RESULT_DESCRIPTION);
    expect(result.responses["200"].content["application/zip"].example).toBe(TEXTS.RESULT_EXAMPLE);
    // Other operations keep their own texts.
    expect(doc.paths["/v1/me"].get.summary).toBe(dfltDoc.paths["/v1/me"].get.summary);
  });

  test("malformed *_EXAMPLES is a ConfigError naming the variable", () => {
    const err = (env: Record<string, string>) => {
      try {
        loadServerConfig(env);
      } catch (e) {
        return e;
      }
      return undefined;
    };
    for (const [variable, value] of [
      ["JOB_DEFINITION_EXAMPLES", "{not json"],
      ["META_JSON_EXAMPLES", "[1, 2]"],
      ["JOB_DEFINITION_EXAMPLES", '{"x": 3}'],
    ] as const) {
      const e = err({ [variable]: value });
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).variable).toBe(variable);
    }
  });
});
