/**
 * The built-in engine (docs/decisions.md §8): on start the server makes sure an engine for this program's own
 * processor (`annopage process` with its default configuration) exists, so `annopage engines`
 * lists it and jobs without an engine name run. Its files are a ZIP holding that configuration as
 * `config.ini` (what an AnnoPage worker expects at the root of an engine).
 *
 * It becomes the default only when no active engine is the default yet, or when the default is an
 * older built-in version: an administrator's own choice of default is never overridden.
 *
 * The configuration comes from the caller (src/cli/serve.ts passes the processor's default): the server does not
 * import the processor.
 */
import type { Sql } from "../../db/client.ts";
import { findEngine, insertEngine, listEngines, markEngineFilesUpdated, type EngineRow } from "../../db/engines.ts";
import type { Storage } from "../../storage/storage.ts";
import { nowIso } from "../jobs/clock.ts";
import { zipInMemory } from "../../shared/zip/write.ts";
import pkg from "../../../package.json" with { type: "json" };

const BUILTIN_ENGINE_NAME = "annopage";
const BUILTIN_ENGINE_VERSION = pkg.version;

function builtinEngineZip(configIni: string): Uint8Array {
  return zipInMemory({ "config.ini": configIni }, new Date("2026-01-01T00:00:00Z"));
}

const isBuiltin = (e: EngineRow) => e.name === BUILTIN_ENGINE_NAME && (e.definition as { builtin?: boolean } | null)?.builtin === true;

export async function ensureBuiltinEngine(sql: Sql, storage: Storage, configIni: string): Promise<{ engine: EngineRow; created: boolean }> {
  let created = false;
  const engine = (await sql.begin(async (tx) => {
    const t = tx as unknown as Sql;
    const existing = await findEngine(t, BUILTIN_ENGINE_NAME, BUILTIN_ENGINE_VERSION);
    if (existing) return existing;
    const defaults = (await listEngines(t)).filter((e) => e.default && e.active);
    const takeDefault = defaults.length === 0 || defaults.every(isBuiltin);
    const row = await insertEngine(
      t,
      {
        name: BUILTIN_ENGINE_NAME,
        version: BUILTIN_ENGINE_VERSION,
        description: "Built-in AnnoPage processor: element detection without trained weights, OCR, ALTO, renders, crops, prompts",
        definition: { builtin: true, processor: "annopage process" },
        default: takeDefault,
        active: true,
      },
      nowIso(),
    );
    created = true;
    return row!;
  })) as EngineRow;
  if (!(await storage.exists("engines", `${engine.id}.zip`)) || !engine.files_updated) {
    await storage.put("engines", `${engine.id}.zip`, builtinEngineZip(configIni));
    engine.files_updated = (await markEngineFilesUpdated(sql, engine.id, nowIso())) ?? engine.files_updated;
  }
  return { engine, created };
}
