/**
 * Engine schemas (docs/protocol.md §3.2, §3.7, §4.3): request bodies and query of the engine routes and
 * the response object.
 */
import { z } from "zod";
import { Timestamp, Uuid } from "./common.ts";

const definition = z.record(z.string(), z.unknown());

/** Query of GET /v1/engines. `active` and `show_definition=true` are admin-only (docs/protocol.md §11.1 fix). */
export const EngineListQuery = z.object({
  name: z.string().optional(),
  version: z.string().optional(),
  default: z.boolean().optional(),
  active: z.boolean().optional(),
  show_definition: z.boolean().default(false),
});

/** Path `{engine_id}` of GET /v1/engines/{engine_id}/files. */
export const EngineIdParams = z.object({ engine_id: Uuid });

/** Path `{name}/{version}` of the engine admin routes. */
export const EngineNameVersionParams = z.object({ name: z.string(), version: z.string() });

/**
 * `EngineNew` (POST /v1/admin/engines) — unknown members forbidden. `definition` may be absent or
 * null (the newer upstream schema, docs/protocol.md §9.6). Explicit null for `default`/`active` behaves like false
 * for the side effects and like the column default for the stored value (§3.7).
 */
export const EngineNewSchema = z.strictObject({
  name: z.string().max(255),
  version: z.string().max(64),
  description: z.string(),
  definition: definition.nullish(),
  default: z.boolean().nullish(),
  active: z.boolean().nullish(),
});
export type EngineNew = z.infer<typeof EngineNewSchema>;

/** `EngineUpdate` (PATCH /v1/admin/engines/{name}/{version}) — all optional, null = unchanged. */
export const EngineUpdateSchema = z.strictObject({
  name: z.string().max(255).nullish(),
  version: z.string().max(64).nullish(),
  description: z.string().nullish(),
  definition: definition.nullish(),
  default: z.boolean().nullish(),
  active: z.boolean().nullish(),
});
export type EngineUpdate = z.infer<typeof EngineUpdateSchema>;

/** Non-admin (user/readonly) item of GET /v1/engines (docs/protocol.md §3.2 with the §11.1 fix). */
export const EnginePublicSchema = z.object({ name: z.string(), version: z.string(), description: z.string(), default: z.boolean() });

/** `Engine` response object, admin view (non-admin callers get name, version, description, default). */
export const EngineSchema = z.object({
  id: Uuid.nullable(),
  name: z.string(),
  version: z.string(),
  description: z.string(),
  definition: definition.nullable(),
  default: z.boolean(),
  active: z.boolean().nullable(),
  created_date: Timestamp.nullable(),
  last_used: Timestamp.nullable(),
  files_updated: Timestamp.nullable(),
});
export type Engine = z.infer<typeof EngineSchema>;
