/**
 * Engine administration (docs/protocol.md §4.20–§4.22, §7.2), admin only. Create and update keep the
 * invariants: one default engine, one active version per name. Engine files are streamed to a
 * staged file, validated as a ZIP (§6.5, ENGINE_FILES_ZIP_VALIDATION) and renamed into place;
 * `files_updated` is bumped on every upload, strictly increasing.
 */
import type { AppDeps } from "../context.ts";
import { AppError, envelopeOk } from "../errors.ts";
import { receiveFilePart } from "../http/multipart.ts";
import { defineRoute } from "../route.ts";
import { nowIso } from "../jobs/clock.ts";
import { engineAdminView } from "../views/admin.ts";
import { validateZipFile } from "../../shared/zip/central-directory.ts";
import { findEngine, insertEngine, markEngineFilesUpdated, updateEngine } from "../../db/engines.ts";
import type { Sql } from "../../db/client.ts";
import { EngineNameVersionParams, EngineNewSchema, EngineSchema, EngineUpdateSchema } from "../../shared/schemas/engines.ts";
import { engineFilesKey } from "./engines.ts";

/** The admin engine routes word ENGINE_NOT_FOUND differently from job creation (docs/protocol.md §2.3). */
const ENGINE_NOT_FOUND_ADMIN = "Engine does not exist.";

export const adminEngineRoutes = (deps: AppDeps) => [
  defineRoute({
    method: "POST",
    path: "/v1/admin/engines",
    roles: ["admin"],
    body: { json: EngineNewSchema },
    doc: {
      tag: "Admin",
      summary: "Create an engine",
      description:
        "`default: true` makes it the only default engine; `active` (default true) deactivates the other versions of the name. " +
        "Returns the created engine (the reference returns null).",
      responses: { 201: { code: ["ENGINE_CREATED"], data: EngineSchema }, 409: { code: ["ENGINE_ALREADY_EXISTS"] } },
    },
    handler: async ({ body }) => {
      const engine = await deps.sql.begin((tx) =>
        insertEngine(
          tx as unknown as Sql,
          {
            name: body.name,
            version: body.version,
            description: body.description,
            definition: body.definition ?? null,
            // An explicit null is stored as the column default but triggers no side effect (docs/protocol.md §3.7).
            default: body.default ?? false,
            active: body.active ?? true,
          },
          nowIso(),
          { default: body.default === true, active: body.active === undefined || body.active === true },
        ),
      );
      if (!engine) throw new AppError("ENGINE_ALREADY_EXISTS");
      return envelopeOk("ENGINE_CREATED", engineAdminView(engine, true));
    },
  }),
  defineRoute({
    method: "PATCH",
    path: "/v1/admin/engines/{name}/{version}",
    roles: ["admin"],
    params: EngineNameVersionParams,
    body: { json: EngineUpdateSchema },
    doc: {
      tag: "Admin",
      summary: "Update an engine",
      responses: {
        200: { code: ["ENGINE_UPDATED"] },
        400: { code: ["ENGINE_UPDATE_NO_FIELDS"] },
        404: { code: ["ENGINE_NOT_FOUND"] },
        409: { code: ["ENGINE_ALREADY_EXISTS"] },
      },
    },
    handler: async ({ params, body }) => {
      const u = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== null && v !== undefined));
      if (Object.keys(u).length === 0) throw new AppError("ENGINE_UPDATE_NO_FIELDS");
      const r = await deps.sql.begin((tx) => updateEngine(tx as unknown as Sql, params.name, params.version, u));
      if (!r.ok) {
        throw r.code === "ENGINE_NOT_FOUND" ? new AppError("ENGINE_NOT_FOUND", { detail: ENGINE_NOT_FOUND_ADMIN }) : new AppError(r.code);
      }
      return envelopeOk("ENGINE_UPDATED", null);
    },
  }),
  defineRoute({
    method: "PUT",
    path: "/v1/admin/engines/{name}/{version}/files",
    roles: ["admin"],
    params: EngineNameVersionParams,
    // The `file` part is read by the handler itself, after the engine lookup, so that an unknown
    // engine is refused before a possibly huge upload is received (docs/protocol.md §4.22).
    doc: {
      tag: "Admin",
      summary: "Upload the engine's files (multipart part `file`, a ZIP archive)",
      responses: {
        201: { code: ["ENGINE_FILES_UPLOADED"] },
        200: { code: ["ENGINE_FILES_REUPLOADED"] },
        404: { code: ["ENGINE_NOT_FOUND"] },
        413: { code: ["FILE_TOO_LARGE"] },
        415: { code: ["ENGINE_FILES_INVALID"] },
        422: { code: ["REQUEST_VALIDATION_ERROR"], description: "No `file` part" },
      },
    },
    handler: async ({ c, params }) => {
      const engine = await findEngine(deps.sql, params.name, params.version);
      if (!engine) {
        await c.req.raw.body?.cancel().catch(() => {});
        throw new AppError("ENGINE_NOT_FOUND", { detail: ENGINE_NOT_FOUND_ADMIN });
      }
      const staged = await receiveFilePart(c.req.raw, deps.storage, "engines", deps.config.maxUploadBytes);
      try {
        if (deps.config.zipValidation.engineFiles) {
          const check = await validateZipFile(staged.path);
          if (!check.ok) throw new AppError("ENGINE_FILES_INVALID", { details: { reason: check.reason } });
        }
        const { existed } = await deps.storage.commit(staged, engineFilesKey(engine.id));
        await markEngineFilesUpdated(deps.sql, engine.id, nowIso());
        return existed ? envelopeOk("ENGINE_FILES_REUPLOADED", null) : envelopeOk("ENGINE_FILES_UPLOADED", null);
      } finally {
        await deps.storage.discard(staged).catch(() => {});
      }
    },
  }),
];
