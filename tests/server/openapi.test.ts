/**
 * OpenAPI particulars of docs/protocol.md §4.1 / §8 over real HTTP: SHOW_SECTIONS keeps only the listed tags,
 * SHOW_PUT_*=false leaves an upload route out of /openapi.json while the route keeps working, and
 * the texts of POST /v1/jobs, the metadata upload and the result download come from
 * JOB_DEFINITION_*, META_JSON_*, RESULT_* (built-in examples otherwise, which the server accepts).
 * The document stays small (shared schemas are references, content unchanged once resolved), and
 * /docs lists the operations in its HTML and runs Swagger UI from this server's own assets.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { z } from "zod";
import { ConfigError, loadServerConfig } from "../../src/config.ts";
import { APP_CODES } from "../../src/shared/codes.ts";
import { ErrorEnvelope, ValidationIssueSchema } from "../../src/shared/schemas/common.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { client } from "../helpers/http.ts";
import { makeKey } from "../helpers/keys.ts";
import { pngBytes } from "../helpers/files.ts";

const IMAGE = "/v1/jobs/{job_id}/images/{image_name}/files/image";
const ALTO = "/v1/jobs/{job_id}/images/{image_name}/files/alto";
const PAGE = "/v1/jobs/{job_id}/images/{image_name}/files/page";
const METADATA = "/v1/jobs/{job_id}/files/metadata";
const UPLOADS = [IMAGE, ALTO, PAGE, METADATA];

const JOB_EXAMPLES = {
  two_pages: {
    summary: "Two pages (env)",
    value: {
      images: [
        { name: "a.jpg", order: 0 },
        { name: "b.jpg", order: 1 },
      ],
    },
  },
};
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

    const metaExamples = Object.values(dfltDoc.paths[METADATA].put.requestBody.content["application/json"].examples) as {
      value: unknown;
    }[];
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

/** `doc` with every local `$ref` replaced by what it points to (throws on a dangling one). */
function dereference(doc: Doc): Doc {
  const resolve = (node: Doc): Doc => {
    if (Array.isArray(node)) return node.map(resolve);
    if (node === null || typeof node !== "object") return node;
    if (typeof node.$ref === "string") {
      const target = node.$ref
        .replace(/^#\//, "")
        .split("/")
        .reduce((o: Doc, k: string) => o?.[k], doc);
      if (target === undefined) throw new Error(`dangling $ref ${node.$ref}`);
      return resolve(target);
    }
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, resolve(v)]));
  };
  return resolve(doc);
}

const jsonSchema = (s: z.ZodType) => {
  const j = z.toJSONSchema(s, { io: "output", unrepresentable: "any", target: "draft-2020-12" }) as Doc;
  delete j.$schema;
  return j;
};

describe("size", () => {
  test("/openapi.json is under 150 KB; its references resolve to the full schemas", async () => {
    const text = await (await fetch(`${dflt.url}/openapi.json`)).text();
    // The list of application codes (~2.5 KB) was inlined in each of ~200 responses (530 KB). Written
    // once and referenced, the document is ~75 KB; 150 KB leaves room for new routes, not for re-inlining.
    expect(text.length).toBeLessThan(150_000);
    const full = dereference(JSON.parse(text));
    const errorSchema = jsonSchema(ErrorEnvelope);
    const validationSchema = jsonSchema(ErrorEnvelope.extend({ details: z.array(ValidationIssueSchema) }));
    let errors = 0;
    for (const { op } of operations(full)) {
      for (const [status, r] of Object.entries(op.responses as Record<string, Doc>)) {
        const schema = r.content?.["application/json"]?.schema;
        if (!schema?.properties) continue; // a file download (binary) or no body
        expect(schema.properties.code.enum).toEqual(Object.keys(APP_CODES));
        if (Number(status) >= 400) {
          errors++;
          // A 422 is the validation envelope, unless the route documents its own 422 (then the plain one).
          expect(status === "422" ? [errorSchema, validationSchema] : [errorSchema]).toContainEqual(schema);
        }
      }
    }
    expect(errors).toBeGreaterThan(100);
  });
});

describe("/docs", () => {
  test("lists the operations in its HTML and references only same-origin assets, served with JS/CSS types", async () => {
    const r = await fetch(`${dflt.url}/docs`);
    expect(r.status).toBe(200);
    const html = await r.text();
    // Every documented operation is in the page itself (no script needed to see the endpoints).
    const esc = (t: string) => t.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
    for (const { path, op } of operations(dfltDoc)) expect(html).toContain(esc(`${path} — ${op.summary}`));
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(2);
    for (const u of refs) expect(new URL(u, dflt.url).origin).toBe(new URL(dflt.url).origin);
    const scripts = [...html.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]!);
    const styles = [...html.matchAll(/<link rel="stylesheet" href="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    expect(styles.length).toBeGreaterThan(0);
    for (const [urls, type] of [
      [scripts, "text/javascript"],
      [styles, "text/css"],
    ] as const) {
      for (const u of urls) {
        const a = await fetch(new URL(u, dflt.url));
        expect(a.status).toBe(200);
        expect(a.headers.get("content-type")).toStartWith(type);
        expect((await a.arrayBuffer()).byteLength).toBeGreaterThan(10_000);
      }
    }
    expect(html).toContain("SwaggerUIBundle(");
    expect(html).toContain("persistAuthorization");
  });
});
