/**
 * Route definitions: one declaration per endpoint carries its method, path, roles, zod schemas
 * for path/query/body and its OpenAPI text. `mountRoutes` registers it on Hono with the protocol's
 * fixed order of checks (docs/protocol.md §1.9), and `buildOpenApi` (server/docs/openapi.ts) documents it from the same schemas.
 *
 * HOW TO ADD A ROUTE:
 *
 *   // a module in src/server/routes/, here things.ts
 *   export const thingRoutes = (deps: AppDeps) => [
 *     defineRoute({
 *       method: "PATCH",
 *       path: "/v1/admin/things/{name}",          // OpenAPI-style path; params are one segment each
 *       roles: ["user"],                           // admin is always allowed; "public" = no auth
 *       params: z.object({ name: z.string() }),    // path params (z.guid() for UUIDs → uuid_parsing)
 *       query: z.object({ force: z.boolean().default(false) }),   // lax coercion applies
 *       body: { json: ThingUpdateSchema },         // or { json: S, optional: true }, or { file: "engines" }
 *       doc: { tag: "Admin", summary: "Update a thing", responses: { 200: { code: ["THING_UPDATED"] } } },
 *       handler: async ({ key, params, query, body, file, c }) => {
 *         if (!found) throw new AppError("THING_NOT_FOUND");      // rendered once by errors.ts
 *         return envelopeOk("THING_UPDATED", null);
 *       },
 *     }),
 *   ];
 *   // src/server/app.ts: one line  →  ...thingRoutes(deps),  in the `routes` list
 *
 * Order of checks performed here before the handler runs (§1.9):
 *   1. routing (404/405/307 are answered by app.ts from the route table);
 *   2. JSON syntax of a JSON body → 422 json_invalid (before authentication);
 *   3. authentication and role (§1.4) → 401/403;
 *   4. validation of path, query and JSON body together → one 422 listing every error;
 *   5. for `{ file: area }` routes, the multipart `file` part is streamed into a staged file
 *      (`ctx.file`); the handler commits it with `deps.storage.commit(file, key)`; an uncommitted
 *      staged file is deleted automatically when the handler ends (success or error).
 * Per-job guards (§1.8) and route checks are the handler's job (see guards.ts).
 * Schemas use plain zod types: z.int(), z.number(), z.boolean(), z.string(), z.guid(),
 * z.iso.datetime(), z.enum(), z.object({...}).strict() for "forbid", z.object for "ignore".
 */
import type { Context } from "hono";
import type { z } from "zod";
import type { KeyRow } from "../db/keys.ts";
import type { AppCode } from "../shared/codes.ts";
import type { Role } from "../shared/roles.ts";
import type { StagedFile, StorageArea } from "../storage/storage.ts";
import type { AppDeps, AppEnv } from "./context.ts";
import { AppError } from "./errors.ts";
import { readBodyChunk, unreadableBody } from "./http/body-read.ts";
import { authenticate } from "./middleware/auth.ts";
import { receiveFilePart } from "./http/multipart.ts";
import type { ValidationIssue } from "../python-compat/pydantic-errors.ts";
import { decodeJsonBody } from "./http/json-body.ts";
import { validatePart, validationError } from "./http/validation.ts";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
type AnyObject = z.ZodObject<z.ZodRawShape>;

export interface ResponseDoc {
  description?: string;
  /** AppCodes that can come with this status. */
  code?: AppCode[];
  /** Schema of `data` (JSON envelope responses). */
  data?: z.ZodType;
  /** Binary response: its content type (no envelope). */
  content?: string;
}

export interface RouteDoc {
  tag: "User" | "Worker" | "Admin" | "Docs" | "Health";
  summary: string;
  description?: string;
  /** Not listed in /openapi.json (debug routes, hidden uploads). */
  hidden?: boolean;
  /** Optional request headers worth documenting (extensions such as Idempotency-Key). */
  headers?: { name: string; description: string }[];
  /** The SHOW_PUT_* switch that can leave this upload route out of /openapi.json (it keeps working). */
  showSwitch?: "image" | "alto" | "page" | "metadata";
  /** Which configurable texts/examples (JOB_DEFINITION_*, META_JSON_*, RESULT_*) document this route. */
  configuredTexts?: "jobDefinition" | "metaJson" | "result";
  responses: Record<number, ResponseDoc>;
}

export type BodySpec<B extends z.ZodType> = { json: B; optional?: boolean } | { file: StorageArea };

export interface RouteSpec<P extends AnyObject | undefined, Q extends AnyObject | undefined, B extends z.ZodType | undefined> {
  method: HttpMethod;
  path: string;
  roles: Role[] | "public";
  params?: P;
  query?: Q;
  body?: B extends z.ZodType ? BodySpec<B> : { file: StorageArea };
  doc: RouteDoc;
  handler: (ctx: RouteContext<P, Q, B>) => Promise<Response> | Response;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteContext<P, Q, B> {
  c: Context<AppEnv>;
  /** The authenticated key (routes with roles); for "public" routes it is undefined. */
  key: KeyRow;
  params: Out<P>;
  query: Out<Q>;
  body: Out<B>;
  /** The request text of a JSON body that was parsed as JSON (undefined otherwise), for routes that need its exact form. */
  jsonText: string | undefined;
  /** The staged `file` part of a `{ file: area }` route. */
  file: StagedFile;
}

/** A route with its types erased, as kept in the route table. */
export interface AnyRoute {
  method: HttpMethod;
  path: string;
  roles: Role[] | "public";
  params?: AnyObject;
  query?: AnyObject;
  body?: { json: z.ZodType; optional?: boolean } | { file: StorageArea };
  doc: RouteDoc;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- types are erased in the table
  handler: (ctx: {
    c: Context<AppEnv>;
    key: KeyRow;
    params: any;
    query: any;
    body: any;
    jsonText: string | undefined;
    file: StagedFile;
  }) => Promise<Response> | Response;
}

export function defineRoute<
  P extends AnyObject | undefined = undefined,
  Q extends AnyObject | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(spec: RouteSpec<P, Q, B>): AnyRoute {
  return spec as unknown as AnyRoute;
}

/** JSON bodies are read whole (they are small: job definitions, metadata); larger ones are refused. */
const MAX_JSON_BYTES = 64 * 1024 * 1024;
const jsonTooLarge = () => new AppError("FILE_TOO_LARGE", { detail: `The JSON body exceeds ${MAX_JSON_BYTES} bytes.` });

/**
 * The body as UTF-8 text, read chunk by chunk and refused as soon as it passes MAX_JSON_BYTES: a chunked body has no
 * content-length to check first, and this runs before authentication (docs/protocol.md §1.9), so nobody may make the server buffer
 * more than that.
 */
async function readJsonText(req: Request): Promise<string> {
  if (!req.body) return "";
  // With a content-length (already checked against the limit) the body cannot be longer: read it natively.
  if (req.headers.get("content-length") !== null) return req.text().catch((e) => Promise.reject(unreadableBody(req, e)));
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await readBodyChunk(req, reader);
    if (done) break;
    total += value.byteLength;
    if (total > MAX_JSON_BYTES) {
      await reader.cancel().catch(() => {});
      throw jsonTooLarge();
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
}

/** `/v1/jobs/{job_id}` → `/v1/jobs/:job_id` (Hono syntax). */
const honoPath = (p: string) => p.replace(/\{([^}]+)\}/g, ":$1");

/** Regex that matches a decoded request path against a route path (one segment per param). */
function pathRegex(p: string): RegExp {
  const src = p
    .split(/(\{[^}]+\})/)
    .map((part) => (part.startsWith("{") ? "([^/]+)" : part.replace(/[.*+?^$()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${src}$`);
}

function queryObject(c: Context, schema: AnyObject): Record<string, unknown> {
  const url = new URL(c.req.url);
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(schema.shape)) {
    const all = url.searchParams.getAll(name);
    if (all.length > 0) out[name] = all[all.length - 1];
  }
  return out;
}

function handlerFor(deps: AppDeps, r: AnyRoute) {
  return async (c: Context<AppEnv>): Promise<Response> => {
    // Path params: one decoded segment each; a `/` (from %2F) can never match (docs/protocol.md §0).
    const rawParams = c.req.param() as Record<string, string>;
    if (Object.values(rawParams).some((v) => v.includes("/"))) throw new AppError("HTTP_ERROR", { status: 404, detail: "Not Found" });

    // 2. JSON syntax before authentication.
    let jsonValue: unknown;
    let jsonText: string | undefined;
    if (r.body && "json" in r.body) {
      const declared = Number(c.req.header("content-length") ?? "0");
      if (declared > MAX_JSON_BYTES) throw jsonTooLarge();
      const text = await readJsonText(c.req.raw);
      const decoded = decodeJsonBody(text, c.req.header("content-type"));
      if ("error" in decoded) throw validationError([decoded.error]);
      jsonValue = decoded.value;
      if (decoded.parsed) jsonText = text;
    }

    // 3. Authentication and role.
    const key = r.roles === "public" ? undefined : await authenticate(deps, c, r.roles);
    if (key) c.set("key", key);

    // 4. Validation of path, query and body together.
    const errors: ValidationIssue[] = [];
    const params = r.params ? validatePart(r.params, rawParams, ["path"], errors) : undefined;
    const query = r.query ? validatePart(r.query, queryObject(c, r.query), ["query"], errors) : undefined;
    let body: unknown;
    if (r.body && "json" in r.body) {
      if (jsonValue === undefined && !r.body.optional) {
        errors.push({ type: "missing", loc: ["body"], msg: "Field required", input: null });
      } else if (jsonValue !== undefined) {
        body = validatePart(r.body.json, jsonValue, ["body"], errors);
      }
    }
    if (errors.length > 0) throw validationError(errors);

    // 5. Streamed file part.
    let file: StagedFile | undefined;
    if (r.body && "file" in r.body) file = await receiveFilePart(c.req.raw, deps.storage, r.body.file, deps.config.maxUploadBytes);
    try {
      return await r.handler({ c, key: key as KeyRow, params, query, body, jsonText, file: file as StagedFile });
    } finally {
      if (file) await deps.storage.discard(file).catch(() => {});
    }
  };
}

/** Registers every route on the Hono app in the order given. */
export function mountRoutes(app: import("hono").Hono<AppEnv>, deps: AppDeps, routes: AnyRoute[]): void {
  for (const r of routes) {
    app.on(r.method, honoPath(r.path), handlerFor(deps, r));
  }
}

/** Methods allowed on a decoded path (for 405 + Allow), empty when no route has that path. */
export function allowedMethods(routes: AnyRoute[], path: string): HttpMethod[] {
  const methods = new Set<HttpMethod>();
  for (const r of routes) if (pathRegex(r.path).test(path)) methods.add(r.method);
  return [...methods];
}
