/**
 * A processor run (docs/processor.md §1, §3.1): resolve inputs and outputs, discover and match pages,
 * skip processed ones, process them (in this process, or sharded over `--process-count` child
 * processes), report one progress line per finished page on stdout, write the processing info.
 */
import { parsePyJson, toJsValue } from "../python-compat/py-json.ts";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { loadAliases } from "./config/aliases.ts";
import { loadProcessorConfig, type ParseFolderKey, type ProcessorConfig } from "./config/engine-config.ts";
import { ConfigFileError } from "./config/section-reader.ts";
import { methodOf } from "./methods/registry.ts";
import { pageOcrOpener } from "./methods/tesseract-ocr.ts";
import { realIdServices, type IdServices } from "./layout.ts";
import { createLogger, type LogLevel, type Logger } from "./log.ts";
import { createOutputDirs, type OutputPaths } from "./outputs/write-page.ts";
import { processPage, type PageEnv, type PageTask } from "./page.ts";
import { buildProcessingInfo, type UsageData } from "./usage.ts";
import { OnnxModelError } from "./onnx/errors.ts";
import { pyJson } from "./outputs/files.ts";
import { writeFileAtomicSync } from "../shared/atomic-write.ts";

/** Bad configuration or input: one line, exit code 2. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InputError";
  }
}

export interface RunOptions {
  config?: string;
  inputImagePath?: string;
  inputXmlPath?: string;
  inputAltoPath?: string;
  inputMetadataPath?: string;
  outputXmlPath?: string;
  outputAltoPath?: string;
  outputRenderPath?: string;
  outputCropsPath?: string;
  outputImageCaptioningPromptsPath?: string;
  outputProcessingInfoPath?: string;
  outputEmbeddingsPath?: string;
  embeddingsJsonlines: boolean;
  skipProcessed: boolean;
  llmApiAliasesPath?: string;
  /** `--device` as given; absent = not given (the spec's default gpu, without a warning: this processor runs on CPU either way). */
  device?: "gpu" | "cpu";
  gpuId?: number;
  processCount: number;
  loggingLevel: LogLevel;
}

const OPTION_FOR_KEY: Record<ParseFolderKey, keyof RunOptions> = {
  INPUT_IMAGE_PATH: "inputImagePath",
  INPUT_XML_PATH: "inputXmlPath",
  INPUT_ALTO_PATH: "inputAltoPath",
  INPUT_METADATA_PATH: "inputMetadataPath",
  OUTPUT_XML_PATH: "outputXmlPath",
  OUTPUT_ALTO_PATH: "outputAltoPath",
  OUTPUT_EMBEDDINGS_PATH: "outputEmbeddingsPath",
  OUTPUT_RENDER_PATH: "outputRenderPath",
  OUTPUT_CROPS_PATH: "outputCropsPath",
  OUTPUT_IMAGE_CAPTIONING_PROMPTS_PATH: "outputImageCaptioningPromptsPath",
  OUTPUT_PROCESSING_INFO_PATH: "outputProcessingInfoPath",
};

/** Python os.path.splitext extension, lower-cased ('' for none; leading dots are not an extension). */
export function extensionOf(name: string): string {
  const stripped = name.replace(/^\.+/, "");
  const i = stripped.lastIndexOf(".");
  return i <= 0 ? "" : stripped.slice(i).toLowerCase();
}

export function pageIdOf(name: string): string {
  const ext = extensionOf(name);
  return ext ? name.slice(0, name.length - ext.length) : name;
}

/** Pages of the input image directory (docs/processor.md §3.1): every entry with an extension other than .xml/.logits, sorted. */
export function discoverPages(dir: string): PageTask[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new InputError(`input image directory '${dir}' is not readable: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return names
    .filter((n) => {
      const ext = extensionOf(n);
      if (ext === "" || ext === ".xml" || ext === ".logits") return false;
      try {
        return !statSync(join(dir, n)).isDirectory();
      } catch {
        return false;
      }
    })
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((n) => ({ imageName: n, pageId: pageIdOf(n), imagePath: join(dir, n) }));
}

/** Ids present in all of the given PAGE/ALTO/render output dirs (docs/processor.md §1.3). */
export function processedIds(dirs: (string | undefined)[]): Set<string> | null {
  const given = dirs.filter((d): d is string => !!d);
  if (given.length === 0) return null;
  let result: Set<string> | null = null;
  for (const d of given) {
    const ids = new Set<string>();
    if (existsSync(d)) {
      for (const n of readdirSync(d)) {
        const m = /^(.+?)(\.xml|\.jpg)/.exec(n);
        if (m) ids.add(m[1]!);
      }
    }
    result = result === null ? ids : new Set([...result].filter((x: string) => ids.has(x)));
  }
  return result;
}

export function loadMetadata(path: string | undefined): Record<string, unknown> {
  if (!path) return {};
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new InputError(`metadata file '${path}' is not readable: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let data: unknown;
  try {
    JSON.parse(text); // the validity check and its message
    data = toJsValue(parsePyJson(text)); // as Python's json.loads sees it: 1.0 stays a float for the prompts
  } catch (e) {
    throw new InputError(`metadata file '${path}' is not valid JSON: ${(e as Error).message}`);
  }
  if (!data || typeof data !== "object" || Array.isArray(data))
    throw new InputError(`metadata file '${path}' must hold a JSON object keyed by image file name`);
  for (const [k, v] of Object.entries(data)) {
    if (!v || typeof v !== "object" || Array.isArray(v))
      throw new InputError(`metadata file '${path}': the value for '${k}' must be an object`);
  }
  return data as Record<string, unknown>;
}

/** Apply [PARSE_FOLDER] values for options not given on the command line. */
function withConfigPaths(opts: RunOptions, config: ProcessorConfig): RunOptions {
  const merged: RunOptions = { ...opts };
  for (const [key, opt] of Object.entries(OPTION_FOR_KEY) as [ParseFolderKey, keyof RunOptions][]) {
    if (merged[opt] === undefined && config.parseFolder[key]) (merged as any)[opt] = config.parseFolder[key];
  }
  if (merged.inputAltoPath && merged.inputXmlPath) merged.inputXmlPath = undefined; // docs/processor.md §2.2: ALTO wins
  return merged;
}

function outputPaths(o: RunOptions): OutputPaths {
  return {
    xml: o.outputXmlPath,
    alto: o.outputAltoPath,
    embeddings: o.outputEmbeddingsPath,
    embeddingsJsonLines: o.embeddingsJsonlines,
    render: o.outputRenderPath,
    crops: o.outputCropsPath,
    prompts: o.outputImageCaptioningPromptsPath,
  };
}

export interface Prepared {
  opts: RunOptions;
  config: ProcessorConfig;
  pages: PageTask[];
  metadata: Record<string, unknown>;
  notices: string[];
  /** The models of the configured engines by section name, opened by openModels before the first page. */
  models: Map<string, unknown>;
}

/** Everything that can fail before the first page: config, inputs, page list. Throws InputError/ConfigFileError. */
export function prepareRun(raw: RunOptions, log: Logger, opts2: { quiet?: boolean } = {}): Prepared {
  // a page process of a --process-count run: the parent already reported the start-up warnings
  const startup = opts2.quiet ? () => {} : (m: string) => log.warning(m);
  let config: ProcessorConfig;
  try {
    config = loadProcessorConfig(raw.config, loadAliases(raw.llmApiAliasesPath));
  } catch (e) {
    if (e instanceof ConfigFileError) throw e;
    throw new InputError((e as Error).message);
  }
  for (const w of config.warnings) startup(w);
  const opts = withConfigPaths(raw, config);
  if (opts2.quiet) {
    // nothing: device notes were logged by the parent
  } else if (opts.gpuId !== undefined) log.warning(`--gpu-id ${opts.gpuId}: this processor has no GPU models; running on CPU`);
  else if (opts.device === "gpu") log.warning("--device gpu: this processor has no GPU models; running on CPU");
  const notices: string[] = [];
  for (const e of config.engines) notices.push(...(methodOf(e).notices?.(e) ?? []));
  const embeds = config.engines.some((e) => e.kind === "embedding" && e.onnxPath);
  if (opts.outputEmbeddingsPath && !embeds)
    notices.push("embeddings were requested but no embedding model is available to this processor; the embedding files are written empty");
  for (const n of notices) startup(n);
  if (opts.outputProcessingInfoPath && !existsSync(dirname(opts.outputProcessingInfoPath) || ".")) {
    throw new InputError(`the directory of --output-processing-info-path '${opts.outputProcessingInfoPath}' does not exist`);
  }
  for (const [flag, dir] of [
    ["--input-alto-path", opts.inputAltoPath],
    ["--input-xml-path", opts.inputXmlPath],
  ] as const) {
    if (dir && !existsSync(dir)) throw new InputError(`${flag} directory '${dir}' does not exist`);
  }
  const metadata = loadMetadata(opts.inputMetadataPath);
  let pages: PageTask[] = [];
  if (!opts.inputImagePath) log.warning("no --input-image-path: nothing to process");
  else {
    if (!existsSync(opts.inputImagePath)) throw new InputError(`input image directory '${opts.inputImagePath}' does not exist`);
    pages = discoverPages(opts.inputImagePath);
    if (opts.skipProcessed) {
      const done = processedIds([opts.outputXmlPath, opts.outputAltoPath, opts.outputRenderPath]);
      if (done) {
        const before = pages.length;
        pages = pages.filter((p) => !done.has(p.pageId));
        log.info(`--skip-processed: ${before - pages.length} of ${before} pages already processed`);
      }
    }
  }
  createOutputDirs(outputPaths(opts));
  return { opts, config, pages, metadata, notices, models: new Map() };
}

/**
 * Opens the configured models once per process, in config order (onnxruntime is loaded only when a section configures
 * an ONNX model); a missing or malformed one is an InputError: the run fails before any page.
 */
export async function openModels(prep: Prepared): Promise<void> {
  try {
    for (const e of prep.config.engines) {
      const opening = methodOf(e).open?.(e);
      if (opening) prep.models.set(e.name, await opening);
    }
  } catch (e) {
    if (e instanceof OnnxModelError) throw new InputError(e.message);
    throw e;
  }
}

/** Progress line on stdout, one per finished page: `PAGE <done>/<total> <ok|failed> <seconds>s <page id>`. */
export function progressLine(done: number, total: number, ok: boolean, seconds: number, pageId: string): string {
  return `PAGE ${done}/${total} ${ok ? "ok" : "failed"} ${seconds.toFixed(2)}s ${pageId}`;
}

export const PROGRESS_RE = /^PAGE (\d+)\/(\d+) (ok|failed) ([\d.]+)s (.*)$/;

export interface ShardOutcome {
  data: UsageData;
  failed: Record<string, string>;
}

/** Process `pages` in this process; `report` is called after each page. */
export async function processPages(
  prep: Prepared,
  pages: PageTask[],
  log: Logger,
  ids: IdServices,
  report: (page: PageTask, ok: boolean, seconds: number) => void,
): Promise<ShardOutcome> {
  const env: PageEnv = {
    config: prep.config,
    inputAltoDir: prep.opts.inputAltoPath,
    inputXmlDir: prep.opts.inputAltoPath ? undefined : prep.opts.inputXmlPath,
    metadata: prep.metadata,
    out: outputPaths(prep.opts),
    ids,
    log,
    getOcr: pageOcrOpener(prep.config.ocr ?? { languages: ["eng"], models: "fast", threads: 1 }, prep.opts.processCount),
    models: prep.models,
  };
  const data: UsageData = {};
  const failed: Record<string, string> = {};
  let i = 0;
  for (const page of pages) {
    i++;
    const t0 = performance.now();
    log.info(`Processing ${page.pageId}`);
    let ok = true;
    try {
      const r = await processPage(page, env);
      data[page.pageId] = r.usage;
    } catch (e) {
      ok = false;
      const msg = (e as Error)?.message ?? String(e);
      failed[page.pageId] = msg;
      // docs/processor.md §1.5: the reference's record, then the exception as its own record
      log.error(`Failed to process file '${page.pageId}'.`);
      log.error(msg);
      if (process.env.ANNOPAGE_DEBUG) console.error(e);
    }
    const secs = (performance.now() - t0) / 1000;
    if (ok) log.info(`DONE ${i}/${pages.length} (${((i / pages.length) * 100).toFixed(2)} %) [id: ${page.pageId}] Time:${secs.toFixed(2)}`);
    report(page, ok, secs);
  }
  return { data, failed };
}

export function writeProcessingInfo(path: string | undefined, outcome: ShardOutcome, notices: string[]): void {
  if (!path) return;
  writeFileAtomicSync(path, pyJson(buildProcessingInfo(outcome.data, outcome.failed, notices)));
}

/** Internal protocol between a parent run and its child processes (--process-count > 1). */
export const SHARD_PAGES_ENV = "ANNOPAGE_PROCESS_SHARD_PAGES";
export const SHARD_RESULT_ENV = "ANNOPAGE_PROCESS_SHARD_RESULT";

export function makeShardFiles(shards: PageTask[][]): { dir: string; pageFiles: string[]; resultFiles: string[] } {
  const dir = mkdtempSync(join(tmpdir(), "annopage-shards-"));
  const pageFiles = shards.map((s, i) => {
    const f = join(dir, `pages-${i}.json`);
    writeFileSync(f, JSON.stringify(s.map((p) => p.imageName)));
    return f;
  });
  return { dir, pageFiles, resultFiles: shards.map((_, i) => join(dir, `result-${i}.json`)) };
}

export function cleanupShardFiles(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export { createLogger, realIdServices };
