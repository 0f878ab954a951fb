/**
 * Engine routes for every role (docs/protocol.md §4.3, §4.13):
 *  - `GET /v1/engines` — with the §11.1 fix: non-admins get the active engines (name, version,
 *    description, default); filtering by `active` and `show_definition=true` stay admin-only (403).
 *    Natural order of name, then version.
 *  - `GET /v1/engines/{engine_id}/files` — worker/admin: the engine zip, streamed from storage.
 */
import { z } from "zod";
import type { AppDeps } from "../context.ts";
import { AppError, envelopeOk } from "../errors.ts";
import { defineRoute } from "../route.ts";
import { engineAdminView, enginePublicView, engineWorkerView } from "../views/admin.ts";
import { findEngineById, listEngines } from "../../db/engines.ts";
import { EngineIdParams, EngineListQuery, EnginePublicSchema, EngineSchema } from "../../shared/schemas/engines.ts";

/** Storage key of an engine's files (docs/protocol.md §6.1: `{ENGINES_DIR}/{engine_id}.zip`). */
export const engineFilesKey = (engineId: string) => `${engineId}.zip`;

export const engineRoutes = (deps: AppDeps) => [
  defineRoute({
    method: "GET",
    path: "/v1/engines",
    roles: ["readonly", "user", "worker"],
    query: EngineListQuery,
    doc: {
      tag: "User",
      summary: "List engines",
      description:
        "Admins see every engine (filter `active` allowed; `definition` only with `show_definition=true`). " +
        "Other keys see the active engines with name, version, description and default.",
      responses: {
        200: { code: ["ENGINES_RETRIEVED"], data: z.array(z.union([EngineSchema, EnginePublicSchema])) },
        403: { code: ["API_KEY_FORBIDDEN_FOR_ENGINE_ACTIVE", "API_KEY_FORBIDDEN_FOR_ENGINE_DEFINITION"] },
      },
    },
    handler: async ({ key, query }) => {
      const filter = { name: query.name, version: query.version, default: query.default };
      if (key.role === "admin") {
        const rows = await listEngines(deps.sql, { ...filter, active: query.active });
        return envelopeOk(
          "ENGINES_RETRIEVED",
          rows.map((e) => engineAdminView(e, query.show_definition)),
        );
      }
      if (query.active !== undefined) throw new AppError("API_KEY_FORBIDDEN_FOR_ENGINE_ACTIVE");
      if (query.show_definition) throw new AppError("API_KEY_FORBIDDEN_FOR_ENGINE_DEFINITION");
      const rows = await listEngines(deps.sql, { ...filter, active: true });
      return envelopeOk("ENGINES_RETRIEVED", rows.map(key.role === "worker" ? engineWorkerView : enginePublicView));
    },
  }),
  defineRoute({
    method: "GET",
    path: "/v1/engines/{engine_id}/files",
    roles: ["worker"],
    params: EngineIdParams,
    doc: {
      tag: "Worker",
      summary: "Download an engine's files (zip)",
      responses: {
        200: { content: "application/zip", description: "The zip as uploaded" },
        404: { code: ["ENGINE_FILES_NOT_FOUND", "ENGINE_FILES_GONE"] },
        410: { code: ["ENGINE_FILES_GONE"] },
      },
    },
    handler: async ({ params }) => {
      const engine = await findEngineById(deps.sql, params.engine_id);
      // Reference quirk kept (docs/protocol.md §11.9): an unknown engine answers 404 with ENGINE_FILES_GONE.
      if (!engine) throw new AppError("ENGINE_FILES_GONE", { status: 404 });
      if (engine.files_updated === null) throw new AppError("ENGINE_FILES_NOT_FOUND");
      const stored = await deps.storage.open("engines", engineFilesKey(engine.id));
      if (!stored) throw new AppError("ENGINE_FILES_GONE");
      return new Response(stored.body, {
        status: 200,
        headers: {
          "content-type": "application/zip",
          "content-length": String(stored.size),
          "content-disposition": `attachment; filename="${engine.id}.zip"`,
        },
      });
    },
  }),
];
