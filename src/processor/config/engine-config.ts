/**
 * Processing configuration (annopage-tool.md §2): the config.ini sections turned into typed engine
 * specs, the [PARSE_FOLDER] paths, and the built-in default used without --config.
 *
 * Our extensions (the reference ignores unknown keys and skips unknown methods with a warning, so
 * such configs stay portable): METHOD `TESSERACT_OCR` (keys `LANGUAGES`, e.g. `eng+ces+deu` or a
 * JSON list; `TESSDATA`, `fast` (default) or `best_int`; `THREADS`, 1 (default) or `auto` (the idle cores per page process)
 * or a number, threads that read one page's text blocks; OCR runs for pages without ALTO/PAGE input);
 * `YOLO_DETECTION` without `MODEL_PATH` runs the built-in weight-free detector, with an `.onnx` one
 * the ONNX export (key `CLASS_NAMES`), else (`.pt`) the built-in one plus a warning; the image
 * embedding runs an `.onnx` `MODEL`/`MODEL_PATH` (keys `IMAGE_MEAN`, `IMAGE_STD`, `TRUE_RGB`; see
 * onnx/yolo.ts, onnx/embedding.ts); captioning keys `RETRY_BACKOFF_MS` (default 1000) and `TIMEOUT_MS` (default 120000), also for INITIAL_RECOGNITION.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { parseIni, sectionViews, IniError, type SectionView } from "../../python-compat/configparser.ts";
import { resolveApi, type AliasTable } from "./aliases.ts";

export class ConfigFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigFileError";
  }
}

/** The `--config` file does not exist (annopage-tool §1.6: its own exit code, 255). */
export class ConfigFileMissingError extends ConfigFileError {
  constructor(path: string) {
    super(`Config file does not exist: '${path}'`);
    this.name = "ConfigFileMissingError";
  }
}

export const OCR_LANGUAGES = ["eng", "ces", "deu"] as const;
export type OcrLanguage = (typeof OCR_LANGUAGES)[number];
/** Tesseract model sets shipped: tessdata_fast (vendor/tessdata_fast, the default) and tessdata best_int (npm). */
export const OCR_MODEL_SETS = ["fast", "best_int"] as const;
export type OcrModelSet = (typeof OCR_MODEL_SETS)[number];
export interface OcrSettings {
  languages: OcrLanguage[];
  models: OcrModelSet;
  /**
   * Threads reading one page (its text blocks shared out), or "auto": the idle cores per page process. Default 1: the
   * whole page at once, which reads best (bench/engine.ts: CER 0.99 % on one thread, 1.43 % with blocks on 2 threads).
   */
  threads: number | "auto";
}

export interface DetectionSpec {
  kind: "detection";
  name: string;
  threshold: number | undefined;
  categories: string[] | null;
  /** The configured model file; only an ONNX export (`onnx`) runs, anything else is noted as a warning. */
  modelPath: string | null;
  onnx: boolean;
  imageSize: number | undefined;
  agnosticNms: boolean;
  /** CLASS_NAMES (class-id order), else null: the model's `names` metadata. */
  classNames: string[] | null;
}

export interface PromptSettings {
  model: string;
  text: string | Record<string, string>;
  maxTokens: number | undefined;
}

export interface CaptioningSpec {
  kind: "captioning";
  name: string;
  apiUrl: string;
  apiKey: string;
  prompt: PromptSettings;
  categories: string[] | null;
  maxImageSize: number | undefined;
  numProcesses: number;
  maxAttempts: number;
  onlyPreparePrompts: boolean;
  retryBackoffMs: number;
  timeoutMs: number;
}

export interface InitialSpec {
  kind: "initials";
  name: string;
  apiUrl: string;
  apiKey: string;
  prompt: { model: string; text: string | Record<string, string> };
  categories: string[];
  maxAttempts: number;
  retryBackoffMs: number;
  timeoutMs: number;
}

export interface EmbeddingSpec {
  kind: "embedding";
  name: string;
  /** MODEL (or MODEL_PATH) as configured: recorded in processing_info.model. */
  model: string;
  /** The `.onnx` file to run (MODEL_PATH config-relative; MODEL cwd-relative as §2.3, else config-relative), else null. */
  onnxPath: string | null;
  categories: string[] | null;
  decimalPlaces: number | undefined;
  mean: number[];
  std: number[];
  trueRgb: boolean;
}

export type EngineSpec = DetectionSpec | CaptioningSpec | InitialSpec | EmbeddingSpec;

export const PARSE_FOLDER_KEYS = [
  "INPUT_IMAGE_PATH",
  "INPUT_XML_PATH",
  "INPUT_ALTO_PATH",
  "INPUT_METADATA_PATH",
  "OUTPUT_XML_PATH",
  "OUTPUT_ALTO_PATH",
  "OUTPUT_EMBEDDINGS_PATH",
  "OUTPUT_RENDER_PATH",
  "OUTPUT_CROPS_PATH",
  "OUTPUT_IMAGE_CAPTIONING_PROMPTS_PATH",
  "OUTPUT_PROCESSING_INFO_PATH",
] as const;
export type ParseFolderKey = (typeof PARSE_FOLDER_KEYS)[number];

export interface ProcessorConfig {
  source: string;
  parseFolder: Partial<Record<ParseFolderKey, string>>;
  engines: EngineSpec[];
  /** OCR languages and models when a TESSERACT_OCR section exists, else null (no OCR). */
  ocr: OcrSettings | null;
  /** Start-up warnings (skipped sections, ignored keys). */
  warnings: string[];
}

/** The configuration used without --config: detection, OCR for pages without ALTO, no LLM, no model. */
export const DEFAULT_CONFIG_INI = `; built-in default configuration of annopage process
[OCR]
METHOD = TESSERACT_OCR
LANGUAGES = ces+eng+deu

[ELEMENT_DETECTION]
METHOD = YOLO_DETECTION
`;

const BOOL: Record<string, boolean> = { "1": true, yes: true, true: true, on: true, "0": false, no: false, false: false, off: false };

function isOnnx(path: string): boolean {
  return path.toLowerCase().endsWith(".onnx");
}

function configRelative(value: string, configPath: string | null): string {
  if (isAbsolute(value) || !configPath) return value;
  const dir = dirname(configPath);
  return dir === "." && !configPath.includes("/") ? value : join(dir, value);
}

class Reader {
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
  /** JSON list value; invalid JSON or a non-list falls back silently, like the reference (§2.1). */
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

function apiOf(r: Reader, configPath: string | null, aliases: AliasTable): { apiUrl: string; apiKey: string } {
  const api = r.required("API");
  const keyValue = r.required("API_KEY");
  const keyPath = configRelative(keyValue, configPath);
  const apiKey = existsSync(keyPath) ? readFileSync(keyPath, "utf8").trim() : keyValue;
  const apiUrl = resolveApi(api, aliases);
  if (!/^https?:\/\//i.test(apiUrl)) r.fail(`API '${api}' is neither a known alias nor an http(s) URL`);
  return { apiUrl, apiKey };
}

function loadPromptSettings(r: Reader): PromptSettings {
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

function parseLanguages(r: Reader): OcrLanguage[] {
  const v = r.str("LANGUAGES") ?? "ces+eng+deu";
  let langs: string[];
  if (v.startsWith("[")) {
    try {
      langs = JSON.parse(v);
    } catch {
      r.fail(`LANGUAGES must be a JSON list or 'eng+ces', not '${v}'`);
    }
  } else langs = v.split(/[+,\s]+/).filter(Boolean);
  if (langs.length === 0) r.fail("LANGUAGES is empty");
  for (const l of langs)
    if (!(OCR_LANGUAGES as readonly string[]).includes(l))
      r.fail(`OCR language '${l}' is not shipped (available: ${OCR_LANGUAGES.join(", ")})`);
  return langs as OcrLanguage[];
}

function parseThreads(r: Reader): number | "auto" {
  const v = (r.str("THREADS") ?? "1").toLowerCase();
  if (v === "auto") return v;
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 64) r.fail(`THREADS must be auto or a whole number from 1 to 64, not '${v}'`);
  return Number(v);
}

function parseModelSet(r: Reader): OcrModelSet {
  const v = (r.str("TESSDATA") ?? "fast").toLowerCase();
  if (!(OCR_MODEL_SETS as readonly string[]).includes(v)) r.fail(`TESSDATA must be one of ${OCR_MODEL_SETS.join(", ")}, not '${v}'`);
  return v as OcrModelSet;
}

/**
 * Parse a config text. `configPath` (as given on the command line) anchors config-relative paths;
 * null for the built-in default.
 */
export function parseProcessorConfig(text: string, configPath: string | null, aliases: AliasTable): ProcessorConfig {
  let views: SectionView[];
  try {
    views = sectionViews(parseIni(text));
  } catch (e) {
    if (e instanceof IniError) throw new ConfigFileError(e.message);
    throw e;
  }
  const warnings: string[] = [];
  const engines: EngineSpec[] = [];
  const parseFolder: ProcessorConfig["parseFolder"] = {};
  let ocr: OcrSettings | null = null;
  for (const s of views) {
    const r = new Reader(s, configPath);
    if (s.name === "PARSE_FOLDER") {
      for (const k of PARSE_FOLDER_KEYS) {
        const v = r.str(k);
        if (v) parseFolder[k] = v;
      }
      continue;
    }
    if (s.name === "PAGE_PARSER") continue;
    let method = r.str("METHOD");
    if (!method) {
      warnings.push(`[${s.name}] has no METHOD; section skipped`);
      continue;
    }
    if (method === "GPT_IMAGE_CAPTIONING" || method === "CLIP_IMAGE_EMBEDDING") {
      const now = method === "GPT_IMAGE_CAPTIONING" ? "OPENAI_COMPLETIONS_IMAGE_CAPTIONING" : "HUGGINGFACE_IMAGE_EMBEDDING";
      warnings.push(`[${s.name}] METHOD ${method} is deprecated; treated as ${now}`);
      method = now;
    }
    switch (method) {
      case "TESSERACT_OCR":
        ocr = { languages: parseLanguages(r), models: parseModelSet(r), threads: parseThreads(r) };
        break;
      case "YOLO_DETECTION": {
        const modelPath = r.path("MODEL_PATH") ?? null;
        if (modelPath && !existsSync(modelPath)) r.fail(`MODEL_PATH file not found: '${modelPath}'`);
        const onnx = !!modelPath && isOnnx(modelPath);
        if (modelPath && !onnx)
          warnings.push(
            `[${s.name}] MODEL_PATH '${modelPath}' is not an ONNX export (.onnx), which is the only YOLO format this processor runs; the built-in weight-free detector is used instead`,
          );
        const [threshold, categories, classNames] = [
          r.float("DETECTION_THRESHOLD"),
          r.list("CATEGORIES", null, warnings),
          r.list("CLASS_NAMES", null, warnings),
        ];
        engines.push({
          kind: "detection",
          name: s.name,
          threshold,
          categories,
          modelPath,
          onnx,
          imageSize: r.int("IMAGE_SIZE", 1),
          agnosticNms: r.bool("AGNOSTIC_NMS", false),
          classNames,
        });
        break;
      }
      case "OPENAI_COMPLETIONS_IMAGE_CAPTIONING": {
        const { apiUrl, apiKey } = apiOf(r, configPath, aliases);
        engines.push({
          kind: "captioning",
          name: s.name,
          apiUrl,
          apiKey,
          prompt: loadPromptSettings(r),
          categories: r.list("CATEGORIES", null, warnings),
          maxImageSize: r.int("MAX_IMAGE_SIZE", 1),
          numProcesses: r.int("NUM_PROCESSES", 1) ?? 1,
          maxAttempts: r.int("MAX_ATTEMPTS", 1) ?? 3,
          onlyPreparePrompts: r.bool("ONLY_PREPARE_PROMPTS", false),
          retryBackoffMs: r.int("RETRY_BACKOFF_MS", 0) ?? 1000,
          timeoutMs: r.int("TIMEOUT_MS", 1) ?? 120_000,
        });
        break;
      }
      case "HUGGINGFACE_IMAGE_EMBEDDING": {
        const modelPath = r.path("MODEL_PATH");
        const model = modelPath ? r.required("MODEL_PATH") : r.required("MODEL");
        const onnxPath = modelPath ?? (isOnnx(model) ? (existsSync(model) ? model : configRelative(model, configPath)) : null);
        if (onnxPath && !isOnnx(onnxPath)) r.fail(`MODEL_PATH must be an ONNX file (.onnx), not '${onnxPath}'`);
        if (onnxPath && !existsSync(onnxPath)) r.fail(`${modelPath ? "MODEL_PATH" : "MODEL"} file not found: '${onnxPath}'`);
        const std = r.numbers("IMAGE_STD", 3, [1, 1, 1], true);
        const [categories, decimalPlaces, mean, trueRgb] = [
          r.list("CATEGORIES", null, warnings),
          r.int("DECIMAL_PLACES", 0),
          r.numbers("IMAGE_MEAN", 3, [0, 0, 0]),
          r.bool("TRUE_RGB", false),
        ];
        engines.push({ kind: "embedding", name: s.name, model, onnxPath, categories, decimalPlaces, mean, std, trueRgb });
        break;
      }
      case "CAPTION_YOLO_NEAREST":
      case "CAPTION_YOLO_KEYPOINTS":
      case "CAPTION_YOLO_ORGANIZER":
        warnings.push(
          `[${s.name}] METHOD ${method} needs a YOLO caption model, which this processor cannot run; section skipped (the built-in detector assigns captions itself)`,
        );
        break;
      case "INITIAL_RECOGNITION": {
        const { apiUrl, apiKey } = apiOf(r, configPath, aliases);
        const prompt = loadPromptSettings(r);
        engines.push({
          kind: "initials",
          name: s.name,
          apiUrl,
          apiKey,
          prompt: { model: prompt.model, text: prompt.text },
          categories: r.list("CATEGORIES", ["initial"], warnings) ?? ["initial"],
          maxAttempts: r.int("MAX_ATTEMPTS", 1) ?? 3,
          retryBackoffMs: r.int("RETRY_BACKOFF_MS", 0) ?? 1000,
          timeoutMs: r.int("TIMEOUT_MS", 1) ?? 120_000,
        });
        break;
      }
      default:
        warnings.push(`[${s.name}] unknown METHOD '${method}'; section skipped`);
    }
  }
  return { source: configPath ?? "built-in default", parseFolder, engines, ocr, warnings };
}

/** Read and parse the --config file (or the built-in default when `path` is undefined). */
export function loadProcessorConfig(path: string | undefined, aliases: AliasTable): ProcessorConfig {
  if (path === undefined) return parseProcessorConfig(DEFAULT_CONFIG_INI, null, aliases);
  if (!existsSync(path)) throw new ConfigFileMissingError(path);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ConfigFileError(`Config file '${path}' is not readable: ${(e as Error).message}`);
  }
  return parseProcessorConfig(text, path, aliases);
}
