/**
 * The OpenAPI 3.1 document, generated from the route table: each route's zod schemas for path,
 * query and body (z.toJSONSchema, input side) and its documented responses (envelope + `data`).
 * Only tags listed in SHOW_SECTIONS are kept; hidden routes (debug) are left out, and so are upload
 * routes switched off with SHOW_PUT_*=false (`doc.showSwitch`; they stay mounted). The texts of the
 * routes that name `doc.configuredTexts` (POST /v1/jobs, the metadata upload, the result download)
 * come from JOB_DEFINITION_*, META_JSON_*, RESULT_* when set, else from the route table and the
 * built-in examples below (docs/protocol.md §4.1, §8).
 */
import { z } from "zod";
import type { ServerConfig } from "../../config.ts";
import { AppCodeSchema, ErrorEnvelope, ValidationIssueSchema, okEnvelope } from "../../shared/schemas/common.ts";
import type { AnyRoute } from "../route.ts";

type Json = Record<string, unknown>;

/**
 * Schemas that occur in nearly every operation are written once under `components.schemas` and
 * referenced (`$ref`): the list of application codes alone (docs/protocol.md §3) is 2.5 KB, and inlining it in each
 * of ~200 responses made /openapi.json 530 KB. The content is the same once the references are resolved.
 */
const ValidationErrorEnvelope = ErrorEnvelope.extend({ details: z.array(ValidationIssueSchema) });
const COMPONENTS = new Map<unknown, string>([
  [AppCodeSchema, "AppCode"],
  [ErrorEnvelope, "ErrorEnvelope"],
  [ValidationErrorEnvelope, "ValidationErrorEnvelope"],
]);
const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });

/** JSON Schema of `s`; the component schemas inside it (not `s` itself when `inline`) become references. */
function schemaOf(s: z.ZodType, io: "input" | "output", inline = false): Json {
  if (!inline && COMPONENTS.has(s)) return ref(COMPONENTS.get(s)!);
  const j = z.toJSONSchema(s, {
    io,
    unrepresentable: "any",
    target: "draft-2020-12",
    override: ({ zodSchema, jsonSchema }) => {
      const name = COMPONENTS.get(zodSchema);
      if (!name || (zodSchema as unknown) === s) return;
      for (const k of Object.keys(jsonSchema)) delete (jsonSchema as Json)[k];
      Object.assign(jsonSchema, ref(name));
    },
  }) as Json;
  delete j.$schema;
  return j;
}

const TAG_ORDER = ["User", "Worker", "Admin", "Health", "Docs"];

type OpenApiOptions = ServerConfig["openapi"];

/** Built-in request examples (used when JOB_DEFINITION_EXAMPLES / META_JSON_EXAMPLES are unset). */
const BUILTIN_JOB_DEFINITION_EXAMPLES = {
  images: {
    summary: "Images only",
    description: "Two pages; only the images are uploaded afterwards.",
    value: {
      images: [
        { name: "page-001.jpg", order: 0 },
        { name: "page-002.jpg", order: 1 },
      ],
      meta_json_required: false,
      alto_required: false,
      page_required: false,
    },
  },
  with_alto_and_metadata: {
    summary: "Images with ALTO XML and metadata",
    description: "One page; its ALTO XML and the job's metadata JSON are uploaded too.",
    value: { images: [{ name: "scan.png", order: 0 }], meta_json_required: true, alto_required: true, page_required: false },
  },
};
const BUILTIN_META_JSON_EXAMPLES = {
  object: { summary: "JSON object", value: { source: "archive", shelfmark: "A 12/3" } },
  array: { summary: "JSON array", value: ["first pass", "second pass"] },
  scalar: { summary: "Scalar value", value: "any JSON value except null" },
};
const BUILTIN_RESULT_EXAMPLE = "(ZIP archive: the engine's output files)";

/** Overrides summary/description of `op` with the configured texts that are set. */
function applyTexts(op: Json, t: { summary?: string; description?: string }): void {
  if (t.summary !== undefined) op.summary = t.summary;
  if (t.description !== undefined) op.description = t.description;
}

/** Configured texts and examples of POST /v1/jobs, the metadata upload and the result download (`doc.configuredTexts`). */
function applyConfiguredTexts(which: AnyRoute["doc"]["configuredTexts"], op: Json, o: OpenApiOptions): void {
  const jsonBody = () => ((op.requestBody as Json | undefined)?.content as Record<string, Json> | undefined)?.["application/json"];
  if (which === "jobDefinition") {
    applyTexts(op, o.jobDefinition);
    const media = jsonBody();
    if (media) media.examples = o.jobDefinition.examples ?? BUILTIN_JOB_DEFINITION_EXAMPLES;
  } else if (which === "metaJson") {
    applyTexts(op, o.metaJson);
    const media = jsonBody();
    if (media) media.examples = o.metaJson.examples ?? BUILTIN_META_JSON_EXAMPLES;
  } else if (which === "result") {
    applyTexts(op, o.result);
    const ok = (op.responses as Record<string, Json>)["200"];
    const media = (ok?.content as Record<string, Json> | undefined)?.["application/zip"];
    if (media) media.example = o.result.example ?? BUILTIN_RESULT_EXAMPLE;
  }
}

export function buildOpenApi(config: ServerConfig, routes: AnyRoute[]): Json {
  const paths: Record<string, Record<string, Json>> = {};
  const options = config.openapi;
  const sections = options.sections;
  let n = 0;
  for (const r of routes) {
    n++;
    if (r.doc.hidden || !sections.includes(r.doc.tag)) continue;
    if (r.doc.showSwitch && !options.showPut[r.doc.showSwitch]) continue;
    const parameters: Json[] = [];
    for (const [where, obj] of [
      ["path", r.params],
      ["query", r.query],
    ] as const) {
      if (!obj) continue;
      for (const [name, s] of Object.entries(obj.shape)) {
        const schema = schemaOf(s as z.ZodType, "input");
        parameters.push({ name, in: where, required: where === "path" || !(s as z.ZodType).safeParse(undefined).success, schema });
      }
    }
    for (const h of r.doc.headers ?? []) {
      parameters.push({ name: h.name, in: "header", required: false, description: h.description, schema: { type: "string" } });
    }
    const op: Json = {
      tags: [r.doc.tag],
      summary: r.doc.summary,
      operationId: `${String(TAG_ORDER.indexOf(r.doc.tag) * 100 + n).padStart(4, "0")}-${r.method.toLowerCase()}${r.path.replace(/[^a-zA-Z0-9]+/g, "_")}`,
      parameters,
      responses: {} as Json,
    };
    if (r.doc.description) op.description = r.doc.description;
    if (r.roles !== "public") {
      op.security = [{ APIKeyHeader: [] }, { APIKeyQuery: [] }, { APIKeyCookie: [] }];
      op["x-roles"] = [...r.roles, "admin"];
    }
    if (r.body && "json" in r.body) {
      op.requestBody = { required: !r.body.optional, content: { "application/json": { schema: schemaOf(r.body.json, "input") } } };
    } else if (r.body && "file" in r.body) {
      op.requestBody = {
        required: true,
        content: {
          "multipart/form-data": {
            schema: { type: "object", properties: { file: { type: "string", format: "binary" } }, required: ["file"] },
          },
        },
      };
    }
    const responses = op.responses as Json;
    for (const [status, d] of Object.entries(r.doc.responses)) {
      const codes = d.code?.join(", ");
      const description = d.description ?? codes ?? "";
      if (d.content) {
        responses[status] = { description, content: { [d.content]: { schema: { type: "string", format: "binary" } } } };
      } else if (Number(status) === 204) {
        responses[status] = { description };
      } else if (Number(status) < 300) {
        responses[status] = {
          description,
          content: { "application/json": { schema: schemaOf(okEnvelope(d.data ?? z.null()), "output") } },
        };
      } else {
        responses[status] = { description, content: { "application/json": { schema: schemaOf(ErrorEnvelope, "output") } } };
      }
    }
    if (r.params || r.query || (r.body && "json" in r.body)) {
      responses["422"] ??= {
        description: "REQUEST_VALIDATION_ERROR",
        content: {
          "application/json": {
            schema: schemaOf(ValidationErrorEnvelope, "output"),
          },
        },
      };
    }
    if (r.roles !== "public") {
      responses["401"] ??= {
        description: "API_KEY_MISSING, API_KEY_INVALID",
        content: { "application/json": { schema: schemaOf(ErrorEnvelope, "output") } },
      };
      responses["403"] ??= {
        description: "API_KEY_INACTIVE, API_KEY_ROLE_FORBIDDEN",
        content: { "application/json": { schema: schemaOf(ErrorEnvelope, "output") } },
      };
      // Every authenticated request reads the database (errors.ts renders the outage).
      responses["503"] ??= {
        description: "DATABASE_UNAVAILABLE: the database cannot be reached right now; try again after `Retry-After` seconds",
        content: { "application/json": { schema: schemaOf(ErrorEnvelope, "output") } },
      };
    }
    applyConfiguredTexts(r.doc.configuredTexts, op, options);
    (paths[r.path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: "3.1.0",
    info: { title: config.serverName, version: config.appVersion },
    servers: config.urlRoot ? [{ url: config.urlRoot }] : undefined,
    tags: sections.map((name) => ({ name })),
    paths,
    components: {
      schemas: Object.fromEntries([...COMPONENTS].map(([schema, name]) => [name, schemaOf(schema as z.ZodType, "output", true)])),
      securitySchemes: {
        APIKeyHeader: { type: "apiKey", in: "header", name: "X-API-Key" },
        APIKeyQuery: { type: "apiKey", in: "query", name: "api_key" },
        APIKeyCookie: { type: "apiKey", in: "cookie", name: "api_key" },
      },
    },
  };
}
