/**
 * From a job to the processor's command line and config (docs/processor.md §7.2, §7.3).
 *  - The flags are those of §7.2 (inputs by job requirements, outputs by
 *    `engine_settings.outputs`, worker's `--logging-level` and `--device`), and `--process-count`
 *    when the worker was given one above 1 (the reference worker never passes it).
 *  - With a non-empty `engine_settings.image_captioning`, the engine dir is copied to
 *    `<job>/engine/` and its config (and prompt-settings JSON) edited there (§7.3); the shared
 *    engine cache is never modified. A job's api_key is always taken literally, and the engine's key
 *    is never sent to an API the job chose (see prepareConfig).
 */
import { cp, readFile, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { escapeIniValue, unescapeIniValue } from "../python-compat/configparser.ts";
import { IniDocument } from "./ini.ts";
import { isInside } from "./paths.ts";
import type { JobInputs } from "./inputs.ts";
import type { OutputName, StoredEngineSettings } from "../shared/schemas/engine-settings.ts";

/** The job's engine_settings as the server stored it: each member is checked where it is read. */
export type EngineSettings = StoredEngineSettings;

/** Result sub-directories per output switch (docs/processor.md §7.2, §7.4). */
const OUTPUT_FLAGS: [switchName: Exclude<OutputName, "embeddings_jsonlines">, flag: string, subdir: string][] = [
  ["alto", "--output-alto-path", "alto"],
  ["embeddings", "--output-embeddings-path", "embeddings"],
  ["renders", "--output-render-path", "renders"],
  ["crops", "--output-crops-path", "crops"],
  ["image_captioning_prompts", "--output-image-captioning-prompts-path", "image_captioning_prompts"],
];

export function processorArgs(opts: {
  configPath: string;
  inputs: JobInputs;
  resultDir: string;
  settings: EngineSettings;
  loggingLevel: string;
  device: string;
  processCount?: number;
}): string[] {
  const { inputs, resultDir } = opts;
  const outputs = isObject(opts.settings.outputs) ? opts.settings.outputs : {};
  const args = [
    "--config",
    opts.configPath,
    "--input-image-path",
    inputs.imagesDir,
    "--logging-level",
    opts.loggingLevel,
    "--device",
    opts.device,
  ];
  if (inputs.altoDir) args.push("--input-alto-path", inputs.altoDir);
  if (inputs.pageDir) args.push("--input-xml-path", inputs.pageDir);
  if (inputs.metaFile) args.push("--input-metadata-path", inputs.metaFile);
  for (const [name, flag, subdir] of OUTPUT_FLAGS) {
    if (outputs[name] === true) args.push(flag, join(resultDir, subdir));
    if (name === "embeddings" && outputs.embeddings_jsonlines === true) args.push("--embeddings-jsonlines");
  }
  if (opts.processCount !== undefined && opts.processCount > 1) args.push("--process-count", String(opts.processCount));
  return args;
}

const CAPTIONING_METHOD = "OPENAI_COMPLETIONS_IMAGE_CAPTIONING";

/**
 * The config the processor gets: `<engine>/config.ini`, or an edited copy under `<job>/engine/`
 * when the job carries image-captioning overrides.
 */
export async function prepareConfig(engineDir: string, jobDir: string, settings: EngineSettings): Promise<string> {
  const config = join(engineDir, "config.ini");
  if (!existsSync(config)) throw new Error(`the engine files have no config.ini at their root (${engineDir})`);
  const ic = settings.image_captioning;
  if (!isObject(ic) || Object.keys(ic).length === 0) return config;

  const copy = join(jobDir, "engine");
  await cp(engineDir, copy, { recursive: true });
  const copyConfig = join(copy, "config.ini");
  const ini = new IniDocument(await readFile(copyConfig, "utf8"));
  // Security deviations from docs/processor.md §7.3 (a job's settings come from a `user` key; the engine's config from an admin):
  //  - the job's api_key is always the key itself: it is written to a file of the job's own engine copy and
  //    API_KEY names that file, so it can never make the processor read another file of the worker's host
  //    (the reference reads "a file of that name … relative to the engine dir", absolute paths included);
  //  - a job that sends the captioning to an API other than the engine's must bring its own api_key: the
  //    engine's key is never sent to an address a user chose.
  let jobKeyFile: string | undefined;
  if (typeof ic.api_key === "string") {
    jobKeyFile = ".job_api_key";
    await writeFile(join(copy, jobKeyFile), ic.api_key, { mode: 0o600 });
  }
  for (const sec of ini.sections()) {
    if (ini.get(sec.name, "method") !== CAPTIONING_METHOD) continue;
    if (typeof ic.api === "string") {
      const own = ini.get(sec.name, "api");
      const same = own !== undefined && unescapeIniValue(own).trim().toLowerCase() === ic.api.trim().toLowerCase();
      if (!same && jobKeyFile === undefined) {
        throw new Error(
          `image_captioning.api ${JSON.stringify(ic.api)} needs image_captioning.api_key: the engine's API key is only sent to the engine's own API`,
        );
      }
      ini.set(sec.name, "API", escapeIniValue(ic.api));
    }
    if (jobKeyFile !== undefined) ini.set(sec.name, "API_KEY", jobKeyFile);
    if (ic.categories !== undefined) ini.set(sec.name, "CATEGORIES", escapeIniValue(JSON.stringify(ic.categories)));
    const ps = ini.get(sec.name, "prompt_settings");
    if (ps) await patchPromptSettings(copy, unescapeIniValue(ps), ic);
  }
  await writeFile(copyConfig, ini.toString());
  return copyConfig;
}

/** Replaces the top-level members of the prompt-settings JSON that `ic` also has (docs/processor.md §7.3 step 2). */
async function patchPromptSettings(engineCopy: string, rel: string, ic: Record<string, unknown>): Promise<void> {
  const path = isAbsolute(rel) ? rel : join(engineCopy, rel);
  // An absolute path (or one escaping the copy) points at a shared file: never edit it.
  if (!isInside(engineCopy, path))
    throw new Error(`PROMPT_SETTINGS ${JSON.stringify(rel)} is outside the engine directory; cannot apply image_captioning overrides`);
  const doc = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
  if (!isObject(doc)) throw new Error(`prompt settings ${rel} is not a JSON object`);
  let changed = false;
  for (const [k, v] of Object.entries(ic)) {
    if (Object.hasOwn(doc, k)) {
      doc[k] = v;
      changed = true;
    }
  }
  if (changed) await writeFile(path, JSON.stringify(doc, null, 4));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
