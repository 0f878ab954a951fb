/**
 * Reading one section of the processing configuration (docs/processor.md §2): typed values with one-line errors naming
 * the section, config-relative paths (§2.3), and the pieces several METHODs share (the LLM API and its key, the prompt
 * settings file). The METHOD modules (src/processor/methods/) parse their sections with it.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import type { SectionView } from "../../python-compat/configparser.ts";
import { resolveApi, type AliasTable } from "./aliases.ts";

export class ConfigFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigFileError";
  }
}

export interface PromptSettings {
  model: string;
  text: string | Record<string, string>;
  maxTokens: number | undefined;
}

const BOOL: Record<string, boolean> = { "1": true, yes: true, true: true, on: true, "0": false, no: false, false: false, off: false };

export function isOnnx(path: string): boolean {
  return path.toLowerCase().endsWith(".onnx");
}

export function configRelative(value: string, configPath: string | null): string {
  if (isAbsolute(value) || !configPath) return value;
  const dir = dirname(configPath);
  return dir === "." && !configPath.includes("/") ? value : join(dir, value);
}

export class SectionReader {
  constructor(
    readonly s: SectionView,
    readonly configPath: string | null,
  ) {}
  fail(msg: string): never {
    throw new ConfigFileError(`[${this.s.name}] ${msg}`);
  }
  str(key: string): string | undefined {
    const v = this.s.get(key);
    return v === undefined ? undefined : v.trim();
  }
  required(key: string): string {
    const v = this.str(key);
    if (v === undefined || v === "") this.fail(`${key} is required for METHOD = ${this.str("METHOD")}`);
    return v;
  }
  float(key: string): number | undefined {
    const v = this.str(key);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (v === "" || !Number.isFinite(n)) this.fail(`${key} must be a number, not '${v}'`);
    return n;
  }
  int(key: string, min = 0): number | undefined {
    const v = this.str(key);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!/^[+-]?\d+$/.test(v) || n < min) this.fail(`${key} must be an integer >= ${min}, not '${v}'`);
    return n;
  }
  bool(key: string, fallback: boolean): boolean {
    const v = this.str(key);
    if (v === undefined) return fallback;
    const b = BOOL[v.toLowerCase()];
    if (b === undefined) this.fail(`${key} must be a boolean (yes/no, true/false, on/off, 1/0), not '${v}'`);
    return b;
  }
  /** JSON list value; invalid JSON or a non-list falls back silently, like the reference (docs/processor.md §2.1). */
  list(key: string, fallback: string[] | null, warnings: string[]): string[] | null {
    const v = this.str(key);
    if (v === undefined) return fallback;
    try {
      const parsed = JSON.parse(v);
      if (Array.isArray(parsed) && parsed.every((x) => typeof x === "string")) return parsed;
    } catch {
      // fall through
    }
    warnings.push(
      `[${this.s.name}] ${key} is not a JSON list of strings; using its default (${fallback ? JSON.stringify(fallback) : "no filter"})`,
    );
    return fallback;
  }
  /** JSON list of exactly `n` finite numbers (a malformed value is an error: it changes every vector). */
  numbers(key: string, n: number, fallback: number[], nonZero = false): number[] {
    const v = this.str(key);
    if (v === undefined) return fallback;
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(v);
    } catch {
      // not JSON: refused below
    }
    if (
      !Array.isArray(parsed) ||
      parsed.length !== n ||
      !parsed.every((x) => typeof x === "number" && Number.isFinite(x) && !(nonZero && x === 0))
    )
      this.fail(`${key} must be a JSON list of ${n} ${nonZero ? "non-zero " : ""}numbers, not '${v}'`);
    return parsed as number[];
  }
  path(key: string): string | undefined {
    const v = this.str(key);
    return v === undefined || v === "" ? undefined : configRelative(v, this.configPath);
  }
}

export function apiOf(r: SectionReader, aliases: AliasTable): { apiUrl: string; apiKey: string } {
  const api = r.required("API");
  const keyValue = r.required("API_KEY");
  const keyPath = configRelative(keyValue, r.configPath);
  const apiKey = existsSync(keyPath) ? readFileSync(keyPath, "utf8").trim() : keyValue;
  const apiUrl = resolveApi(api, aliases);
  if (!/^https?:\/\//i.test(apiUrl)) r.fail(`API '${api}' is neither a known alias nor an http(s) URL`);
  return { apiUrl, apiKey };
}

export function loadPromptSettings(r: SectionReader): PromptSettings {
  const path = r.path("PROMPT_SETTINGS");
  if (!path) r.fail("PROMPT_SETTINGS is required");
  let data: any;
  try {
    data = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    r.fail(`PROMPT_SETTINGS '${path}' is not a readable JSON file (${(e as Error).message.split("\n")[0]})`);
  }
  if (!data || typeof data !== "object") r.fail(`PROMPT_SETTINGS '${path}' must hold a JSON object`);
  if (typeof data.model !== "string" || !data.model) r.fail(`PROMPT_SETTINGS '${path}' needs a string "model"`);
  const text = data.text;
  const textOk =
    typeof text === "string" ||
    (text && typeof text === "object" && !Array.isArray(text) && Object.values(text).every((v) => typeof v === "string"));
  if (!textOk) r.fail(`PROMPT_SETTINGS '${path}' needs "text": a template string or an object of category → template`);
  if (data.max_tokens !== undefined && data.max_tokens !== null && !Number.isInteger(data.max_tokens))
    r.fail(`PROMPT_SETTINGS '${path}': "max_tokens" must be an integer`);
  return { model: data.model, text, maxTokens: data.max_tokens ?? undefined };
}
