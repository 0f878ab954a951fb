/**
 * The job's `engine_settings` (docs/protocol.md §9.6, docs/processor.md §7.2): `{"outputs": {...},
 * "image_captioning": {...}}`. Built from a JSON file (`--config`) and/or the reference client's
 * flags (`--output-alto`, …, `--image-captioning-settings`); flags add to the file's outputs and
 * `--image-captioning-settings` replaces its `image_captioning`. Problems are collected, not thrown.
 * When nothing says which outputs to produce, `annopage submit` asks for DEFAULT_OUTPUTS (ALTO) instead
 * of sending a job whose result is empty; the reference client (and `--no-outputs`) send none.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import type { z } from "zod";
import {
  EngineSettingsSchema,
  ImageCaptioningSchema,
  OUTPUT_NAMES,
  type EngineSettings,
  type OutputName,
  type Outputs,
} from "../shared/schemas/engine-settings.ts";

export { OUTPUT_NAMES, type OutputName, type EngineSettings } from "../shared/schemas/engine-settings.ts";

/** What `annopage submit` asks for when no `--output-*` flag and no `outputs` in `--config` say otherwise. */
export const DEFAULT_OUTPUTS: Outputs = { alto: true };

export interface SettingsFlags {
  /** Path of a JSON file holding the whole engine_settings object. */
  config?: string;
  outputs?: Partial<Record<OutputName, boolean | undefined>>;
  /** A path to a JSON file, or else a JSON string (as the reference client reads it). */
  imageCaptioningSettings?: string;
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const at = i.path.length ? i.path.join(".") : "(top level)";
      if (i.code === "unrecognized_keys") {
        const where = i.path.length ? `in ${i.path.join(".")}` : "at the top level";
        const allowed = (i.path.length ? OUTPUT_NAMES : EngineSettingsSchema.keyof().options).join(", ");
        return `unknown member${i.keys.length > 1 ? "s" : ""} ${i.keys.map((k) => `"${k}"`).join(", ")} ${where} (allowed: ${allowed})`;
      }
      return `${at}: ${i.message}`;
    })
    .join("; ");
}

function readJsonFile(path: string, what: string, problems: string[]): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    problems.push(`cannot read ${what} ${path}: ${err.code === "ENOENT" ? "no such file" : err.message}`);
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    problems.push(`${what} ${path} is not valid JSON: ${(e as Error).message}`);
    return undefined;
  }
}

/**
 * Returns the engine_settings to send, or undefined when neither `--config` nor any of the
 * reference flags was given (then the job carries none, as a plain DocAPI server expects).
 */
export function buildEngineSettings(flags: SettingsFlags, problems: string[]): EngineSettings | undefined {
  return resolveEngineSettings(flags, problems).settings;
}

/**
 * Like buildEngineSettings, and with `defaultOutputs`: when no output was chosen (no `--output-*` flag,
 * no `outputs` member in the config — an explicit `"outputs": {}` is a choice), those outputs are asked
 * for; `defaulted` tells the caller so it can say so.
 */
export function resolveEngineSettings(
  flags: SettingsFlags & { defaultOutputs?: Outputs },
  problems: string[],
): { settings: EngineSettings | undefined; defaulted: boolean } {
  const settings: EngineSettings & { outputs: Outputs } = { outputs: {} };
  let given = false;
  let outputsChosen = false;

  if (flags.config !== undefined) {
    given = true;
    const raw = readJsonFile(flags.config, "config", problems);
    if (raw !== undefined) {
      const parsed = EngineSettingsSchema.safeParse(raw);
      if (!parsed.success) {
        problems.push(`config ${flags.config} is not a valid engine_settings object: ${describeIssues(parsed.error)}`);
      } else {
        settings.outputs = { ...parsed.data.outputs };
        if (parsed.data.outputs) outputsChosen = true;
        if (parsed.data.image_captioning) settings.image_captioning = parsed.data.image_captioning;
      }
    }
  }

  for (const name of OUTPUT_NAMES) {
    if (flags.outputs?.[name]) {
      given = true;
      outputsChosen = true;
      settings.outputs[name] = true;
    }
  }

  if (flags.imageCaptioningSettings !== undefined) {
    given = true;
    const arg = flags.imageCaptioningSettings;
    let raw: unknown;
    if (existsSync(arg) && statSync(arg).isFile()) {
      raw = readJsonFile(arg, "image-captioning settings", problems);
    } else {
      try {
        raw = JSON.parse(arg) as unknown;
      } catch {
        problems.push(
          `--image-captioning-settings ${JSON.stringify(arg.length > 60 ? `${arg.slice(0, 57)}...` : arg)} is neither a file nor a JSON string`,
        );
      }
    }
    if (raw !== undefined) {
      const parsed = ImageCaptioningSchema.safeParse(raw);
      if (!parsed.success) problems.push("--image-captioning-settings must be a JSON object");
      else settings.image_captioning = parsed.data;
    }
  }

  const defaulted = !outputsChosen && flags.defaultOutputs !== undefined;
  if (defaulted) {
    given = true;
    settings.outputs = { ...flags.defaultOutputs };
  }
  return { settings: given ? settings : undefined, defaulted };
}
