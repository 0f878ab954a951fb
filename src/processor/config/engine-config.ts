/**
 * Processing configuration (docs/processor.md §2): the config.ini sections turned into typed specs by their METHOD's
 * module (src/processor/methods/), the [PARSE_FOLDER] paths, and the built-in default used without --config.
 * Unknown METHODs and keys are skipped with a warning, like the reference, so configs using our extensions stay
 * portable.
 */
import { existsSync, readFileSync } from "node:fs";
import { IniError, parseIni, sectionViews, type SectionView } from "../../python-compat/configparser.ts";
import { methodNamed, type EngineSpec } from "../methods/registry.ts";
import type { OcrSettings } from "../ocr/settings.ts";
import type { AliasTable } from "./aliases.ts";
import { ConfigFileError, SectionReader } from "./section-reader.ts";

/** The `--config` file does not exist (docs/processor.md §1.6: its own exit code, 255). */
export class ConfigFileMissingError extends ConfigFileError {
  constructor(path: string) {
    super(`Config file does not exist: '${path}'`);
    this.name = "ConfigFileMissingError";
  }
}

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
    const r = new SectionReader(s, configPath);
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
    const found = methodNamed(method);
    if (!found) {
      warnings.push(`[${s.name}] unknown METHOD '${method}'; section skipped`);
      continue;
    }
    if (found.deprecated) {
      const now = found.module.methods[0]!;
      warnings.push(`[${s.name}] METHOD ${method} is deprecated; treated as ${now}`);
      method = now;
    }
    const spec = found.module.parse(r, { method, aliases, warnings });
    if (spec?.kind === "ocr") ocr = spec.settings;
    else if (spec) engines.push(spec);
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
