/**
 * What the fuzz suite aims at: one key of every role (two users and two workers, so that "another user's job"
 * exists), an inactive key, key labels the admin routes may change (never the fuzzing keys themselves), an engine,
 * and jobs in states new / processing / done for each user — plus the "sealed" jobs of a third user whose key
 * never fuzzes and which no fuzzing key but admin's may touch (admin requests never name them).
 */
import { expect } from "bun:test";
import { client } from "../http.ts";
import { pngBytes, zipBytes } from "../files.ts";
import type { FuzzServer } from "./serve.ts";
import type { JsonSchema } from "./schema-arb.ts";

export const FUZZ_KEYS = [
  "admin",
  "userA",
  "userB",
  "readonly",
  "workerA",
  "workerB",
  "inactive",
  "wrongSecret",
  "garbage",
  "none",
] as const;
export type KeyName = (typeof FUZZ_KEYS)[number];
/** The keys whose jobs the ownership invariant concerns: their requests on a job of another owner must fail. */
export const OWNING_KEYS: readonly KeyName[] = ["userA", "userB", "readonly"];

export interface Operation {
  method: string;
  path: string;
  params: { name: string; in: "path" | "query" | "header"; schema: JsonSchema }[];
  body: { kind: "json"; schema: JsonSchema } | { kind: "multipart" } | undefined;
}

export interface Fixture {
  url: string;
  keys: Record<KeyName, string | undefined>;
  /** Job id → the key that owns it (userA, userB or "sealed"). */
  owners: Map<string, string>;
  jobs: string[];
  sealed: string[];
  /** A sealed job as its owner saw it after the set-up (compared after the run). */
  sealedView: string;
  sealedKey: string;
  imageIds: string[];
  imageNames: string[];
  leaseTokens: string[];
  labels: string[];
  engine: { name: string; version: string; ids: string[] };
  ops: Operation[];
}

/** Routes that /openapi.json does not list (hidden, or docs sections switched off) — fuzzed all the same. */
const UNLISTED: Operation[] = [
  {
    method: "PUT",
    path: "/debug/jobs/{job_id}/start",
    params: [{ name: "job_id", in: "path", schema: { type: "string", format: "uuid" } }],
    body: undefined,
  },
  ...["/", "/docs", "/redoc", "/docs/oauth2-redirect", "/openapi.json"].map((path) => ({
    method: "GET",
    path,
    params: [],
    body: undefined,
  })),
];

/** Every operation of the server's /openapi.json, with its parameters and body kind. */
async function operationsOf(url: string): Promise<Operation[]> {
  const doc = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, Record<string, Record<string, unknown>>> };
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const content = (op.requestBody as { content?: Record<string, { schema: JsonSchema }> } | undefined)?.content ?? {};
      const body = content["application/json"]
        ? ({ kind: "json", schema: content["application/json"].schema } as const)
        : content["multipart/form-data"] || path.endsWith("/files")
          ? ({ kind: "multipart" } as const)
          : undefined;
      ops.push({ method: method.toUpperCase(), path, params: (op.parameters ?? []) as Operation["params"], body });
    }
  }
  const listed = new Set(ops.map((o) => `${o.method} ${o.path}`));
  return [...ops, ...UNLISTED.filter((o) => !listed.has(`${o.method} ${o.path}`))];
}

type Req = ReturnType<typeof client>;

async function ok(p: ReturnType<Req>, status: number) {
  const r = await p;
  expect(r.status, r.text).toBe(status);
  return r;
}

/** A job of `who` in state new (ALTO, PAGE and metadata required, nothing uploaded). */
async function newJob(who: Req): Promise<string> {
  const images = ["a.png", "b.png", "ünï cödé.png"].map((name, order) => ({ name, order }));
  const r = await ok(
    who("POST", "/v1/jobs", { json: { images, alto_required: true, page_required: true, meta_json_required: true } }),
    201,
  );
  return r.body.data.id;
}

/** A job of `who` leased by `worker` (processing); returns its id and lease token. */
async function processingJob(who: Req, worker: Req): Promise<{ id: string; token: string }> {
  const r = await ok(who("POST", "/v1/jobs", { json: { images: [{ name: "p.png", order: 0 }] } }), 201);
  const id = r.body.data.id as string;
  await ok(who("PUT", `/v1/jobs/${id}/images/p.png/files/image`, { file: pngBytes() }), 201);
  const lease = await ok(worker("POST", "/v1/jobs/lease"), 200);
  expect(lease.body.data.id).toBe(id);
  return { id, token: lease.body.data.lease_token };
}

export async function setUpFixture(s: FuzzServer): Promise<Fixture> {
  const admin = client(s, s.adminKey);
  const makeKey = async (role: string, label: string) => ({
    key: (await ok(admin("POST", "/v1/admin/keys", { json: { label, role } }), 201)).body.data.secret as string,
  });
  const made: Record<string, { key: string }> = {};
  for (const n of ["userA", "userB", "userC", "readonly", "workerA", "workerB", "inactive"] as const) {
    made[n] = await makeKey(
      n.startsWith("user") || n === "inactive" ? "user" : n.startsWith("worker") ? "worker" : "readonly",
      `fuzz-${n}`,
    );
  }
  await ok(admin("PATCH", "/v1/admin/keys/fuzz-inactive", { json: { active: false } }), 200);
  const labels = ["victim-1", "victim-2", "victim-3"];
  for (const [i, label] of labels.entries()) await makeKey((["user", "worker", "readonly"] as const)[i]!, label);

  const engine = { name: "fuzz-engine", version: "1.0" };
  await ok(admin("POST", "/v1/admin/engines", { json: { ...engine, description: "fuzz", active: true } }), 201);
  await ok(admin("PUT", `/v1/admin/engines/${engine.name}/${engine.version}/files`, { file: zipBytes() }), 201);
  const engineIds = ((await ok(admin("GET", "/v1/engines"), 200)).body.data as { id: string }[]).map((e) => e.id);

  const c = (n: string) => client(s, made[n]!.key);
  const owners = new Map<string, string>();
  const leaseTokens: string[] = [];
  for (const [user, worker] of [
    ["userA", "workerA"],
    ["userB", "workerB"],
  ] as const) {
    owners.set(await newJob(c(user)), user);
    const p = await processingJob(c(user), c(worker));
    owners.set(p.id, user);
    leaseTokens.push(p.token);
    const d = await processingJob(c(user), c(worker));
    await ok(c(worker)("POST", `/v1/jobs/${d.id}/result`, { file: zipBytes() }), 201);
    await ok(c(worker)("PATCH", `/v1/jobs/${d.id}`, { json: { state: "done" } }), 200);
    owners.set(d.id, user);
  }
  const sealed = [await newJob(c("userC"))];
  for (const id of sealed) owners.set(id, "sealed");
  const imageIds: string[] = [];
  for (const id of owners.keys()) {
    for (const im of (await ok(admin("GET", `/v1/jobs/${id}`), 200)).body.data.images as { id: string }[]) imageIds.push(im.id);
  }
  const kid = made.userA!.key.split(".")[1];
  return {
    url: s.url,
    keys: {
      admin: s.adminKey,
      userA: made.userA!.key,
      userB: made.userB!.key,
      readonly: made.readonly!.key,
      workerA: made.workerA!.key,
      workerB: made.workerB!.key,
      inactive: made.inactive!.key,
      wrongSecret: `doc-api.${kid}.${"A".repeat(40)}`,
      garbage: undefined,
      none: undefined,
    },
    owners,
    jobs: [...owners.keys()].filter((id) => owners.get(id) !== "sealed"),
    sealed,
    sealedView: await sealedSnapshot(s.url, made.userC!.key, sealed),
    sealedKey: made.userC!.key,
    imageIds,
    imageNames: ["a.png", "b.png", "ünï cödé.png", "p.png"],
    leaseTokens,
    labels,
    engine: { ...engine, ids: engineIds },
    ops: await operationsOf(s.url),
  };
}

/** The sealed jobs as their owner sees them (compared before and after the run). */
export async function sealedSnapshot(url: string, key: string, ids: string[]): Promise<string> {
  const views = await Promise.all(ids.map(async (id) => (await fetch(`${url}/v1/jobs/${id}`, { headers: { "x-api-key": key } })).text()));
  return views.join("\n");
}
