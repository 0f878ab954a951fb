/** Response objects for keys and engines (docs/protocol.md §3.1, §3.2), built from database rows. */
import type { z } from "zod";
import type { EngineRow } from "../../db/engines.ts";
import type { Engine, EnginePublicSchema } from "../../shared/schemas/engines.ts";
import type { KeySecretSchema } from "../../shared/schemas/keys.ts";

export { keyView } from "./jobs.ts";

/** `KeySecret` (routes 24 and 27): the full key string, shown once. */
export function keySecretView(fullKey: string) {
  return { secret: fullKey } satisfies z.output<typeof KeySecretSchema>;
}

/** Admin view of an engine: every member, nulls kept; `definition` only when asked for (else null). */
export function engineAdminView(e: EngineRow, showDefinition: boolean) {
  return {
    id: e.id,
    name: e.name,
    version: e.version,
    description: e.description,
    definition: showDefinition ? e.definition : null,
    default: e.default,
    active: e.active,
    created_date: e.created_date,
    last_used: e.last_used,
    files_updated: e.files_updated,
  } satisfies Engine;
}

/** Non-admin view for user/readonly (docs/protocol.md §3.2 with the §11.1 fix): name, version, description, default. */
export function enginePublicView(e: EngineRow) {
  return { name: e.name, version: e.version, description: e.description, default: e.default } satisfies z.output<typeof EnginePublicSchema>;
}

/**
 * Non-admin view for a worker: as the reference would serialise it without null-stripping, the
 * hidden members are present as explicit nulls (docs/protocol.md §3.2).
 */
export function engineWorkerView(e: EngineRow) {
  return {
    id: null,
    name: e.name,
    version: e.version,
    description: e.description,
    definition: null,
    default: e.default,
    active: null,
    created_date: null,
    last_used: null,
    files_updated: null,
  } satisfies Engine;
}
