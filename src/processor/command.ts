/**
 * `annopage process`: the AnnoPage-compatible page processor (docs/processor.md).
 *
 * Flags are those of docs/processor.md §1.1 (so the reference worker can call it too); `--config`
 * is optional: without it a built-in configuration runs (OCR for pages without ALTO/PAGE input,
 * element detection, and every output that needs no model or LLM).
 *
 * stdout carries ONLY progress, one line per finished page (ok or failed), in finishing order:
 *
 *     PAGE <done>/<total> <ok|failed> <seconds>s <page id>
 *
 * e.g. `PAGE 3/8 ok 0.21s dev_003`. The page id is last and may contain spaces. Everything else
 * (the log of §1.5, warnings, page errors) goes to stderr.
 *
 * Exit codes (docs/processor.md §1.6, except 3: docs/decisions.md §9): 0 every page succeeded (or there was
 * nothing to do); 3 the run finished but some pages failed (their outputs are missing; they are listed on
 * stderr and under `failed_pages` in the processing info — a distinct non-zero code when some
 * pages failed; the reference exits 0); 2 command-line usage error; 255 the --config file does not exist; 1 any other
 * fatal error — a config that cannot be read or whose engines cannot be set up, bad metadata, a missing input
 * directory (one line naming the problem); 130 interrupted.
 */
import { selfCommand } from "../shared/self.ts";
import { defineCommand, type ArgsDef } from "citty";
import { parseArgs } from "node:util";
import { readFileSync } from "node:fs";
import { CliError } from "../shared/cli-error.ts";
import { withHelp } from "../shared/usage.ts";
import { ConfigFileMissingError } from "./config/engine-config.ts";
import { ConfigFileError } from "./config/section-reader.ts";
import { LEVELS, type LogLevel } from "./log.ts";
import {
  InputError,
  PROGRESS_RE,
  SHARD_PAGES_ENV,
  SHARD_RESULT_ENV,
  cleanupShardFiles,
  createLogger,
  makeShardFiles,
  openModels,
  prepareRun,
  processPages,
  progressLine,
  realIdServices,
  writeProcessingInfo,
  type Prepared,
  type RunOptions,
  type ShardOutcome,
} from "./run.ts";
import type { PageTask } from "./page.ts";

const EXIT_PAGES_FAILED = 3;
const EXIT_USAGE = 2;
/** docs/processor.md §1.6: a fatal error outside the per-page loop (config, engines, metadata, inputs). */
const EXIT_FATAL = 1;
/** docs/processor.md §1.6: the --config file does not exist. */
const EXIT_CONFIG_MISSING = 255;

/** The flags of docs/processor.md §1.1 in the order --help lists them: [flag, kind, value hint or "", description]. */
const FLAGS: readonly (readonly [string, "path" | "string" | "boolean", string, string])[] = [
  ["config", "path", "file", "INI processing configuration (default: built-in OCR + detection)"],
  ["input-image-path", "path", "", "Directory of page images"],
  ["input-xml-path", "path", "", "Directory of PAGE XML files (<page id>.xml)"],
  ["input-alto-path", "path", "", "Directory of ALTO files (<page id>.xml)"],
  ["input-metadata-path", "path", "file", "JSON with per-image metadata (keyed by image file name)"],
  ["output-xml-path", "path", "", "Write PAGE XML here"],
  ["output-alto-path", "path", "", "Write ALTO v4 here"],
  ["output-render-path", "path", "", "Write renders (<page id>.jpg) here"],
  ["output-crops-path", "path", "", "Write element crops (<page id>_<tag id>.jpg) here"],
  ["output-image-captioning-prompts-path", "path", "", "Write captioning prompts here"],
  ["output-processing-info-path", "path", "file", "Write the processing info JSON (LLM usage, failures) to this file"],
  ["output-embeddings-path", "path", "", "Write embeddings here (needs an embedding model)"],
  ["embeddings-jsonlines", "boolean", "", "Embeddings as JSON Lines"],
  ["skip-processed", "boolean", "", "Skip pages already in the PAGE/ALTO/render outputs"],
  ["llm-api-aliases-path", "path", "file", "JSON table of LLM API aliases"],
  ["device", "string", "gpu|cpu", "gpu | cpu (accepted; this processor runs on CPU)"],
  ["gpu-id", "string", "", "GPU index (accepted; runs on CPU)"],
  ["process-count", "string", "n", "Pages processed in parallel by this many processes (default 1)"],
  ["logging-level", "string", "", "DEBUG | INFO | WARNING | ERROR | CRITICAL (default WARNING)"],
];
/** One-letter forms. */
const SHORT: Record<string, string> = { "skip-processed": "s" };
/** The flags naming files and directories (also [PARSE_FOLDER] keys, or --config and the alias file). */
const PATH_FLAGS = FLAGS.filter(([, kind]) => kind === "path").map(([name]) => name);

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Strict parse of the docs/processor.md §1.1 flags; every problem is a usage error (exit 2). */
function parseProcessArgs(rawArgs: string[]): RunOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    const options: Record<string, { type: "string" | "boolean"; short?: string }> = {};
    for (const [name, kind] of FLAGS)
      options[name] = { type: kind === "boolean" ? "boolean" : "string", ...(SHORT[name] && { short: SHORT[name] }) };
    ({ values } = parseArgs({ args: rawArgs, options, strict: true, allowPositionals: false }) as {
      values: Record<string, string | boolean | undefined>;
    });
  } catch (e) {
    throw new CliError(`process: ${(e as Error).message.split("\n")[0]}`, EXIT_USAGE);
  }
  if (values["input-xml-path"] && values["input-alto-path"])
    throw new CliError("process: --input-xml-path and --input-alto-path cannot be used together", EXIT_USAGE);
  const device = values.device as string | undefined;
  if (device !== undefined && device !== "gpu" && device !== "cpu")
    throw new CliError(`process: --device must be gpu or cpu, not '${device}'`, EXIT_USAGE);
  const intFlag = (name: string, min: number): number | undefined => {
    const v = values[name] as string | undefined;
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v) || Number(v) < min) throw new CliError(`process: --${name} must be an integer >= ${min}, not '${v}'`, EXIT_USAGE);
    return Number(v);
  };
  const level = ((values["logging-level"] as string | undefined) ?? "WARNING").toUpperCase();
  if (!(LEVELS as readonly string[]).includes(level))
    throw new CliError(`process: --logging-level must be one of ${LEVELS.join(", ")}, not '${values["logging-level"]}'`, EXIT_USAGE);
  const opts: RunOptions = {
    embeddingsJsonlines: values["embeddings-jsonlines"] === true,
    skipProcessed: values["skip-processed"] === true,
    device: device as RunOptions["device"],
    gpuId: intFlag("gpu-id", 0),
    processCount: intFlag("process-count", 1) ?? 1,
    loggingLevel: level as LogLevel,
  };
  for (const f of PATH_FLAGS) {
    const v = values[f];
    if (typeof v === "string") {
      if (v === "") throw new CliError(`process: --${f} needs a value`, EXIT_USAGE);
      (opts as any)[camel(f)] = v;
    }
  }
  return opts;
}

/** Flags reproducing `opts` for a child process (paths already merged with [PARSE_FOLDER]). */
function childArgs(opts: RunOptions): string[] {
  const args = ["process"];
  for (const f of PATH_FLAGS) {
    const v = (opts as any)[camel(f)];
    if (typeof v === "string") args.push(`--${f}`, v);
  }
  if (opts.embeddingsJsonlines) args.push("--embeddings-jsonlines");
  if (opts.device) args.push("--device", opts.device);
  args.push("--logging-level", opts.loggingLevel);
  if (opts.gpuId !== undefined) args.push("--gpu-id", String(opts.gpuId));
  return args;
}

/** Child processes of a sharded run, stopped when this process is interrupted. */
const children = new Set<{ kill(signal?: number | NodeJS.Signals): void }>();

function onInterrupt(signal: NodeJS.Signals): void {
  for (const c of children) c.kill("SIGTERM");
  process.stderr.write(`annopage: process: interrupted (${signal}); pages in progress are not written\n`);
  process.exit(130);
}

async function runSharded(prep: Prepared, progress: (page: string, ok: boolean, secs: number) => void): Promise<ShardOutcome> {
  const n = Math.min(prep.opts.processCount, prep.pages.length);
  const shards: PageTask[][] = Array.from({ length: n }, () => []);
  prep.pages.forEach((p, i) => shards[i % n]!.push(p));
  const files = makeShardFiles(shards);
  const outcome: ShardOutcome = { data: {}, failed: {} };
  try {
    const base = childArgs(prep.opts);
    await Promise.all(
      shards.map(async (shard, i) => {
        const child = Bun.spawn([...selfCommand(), ...base], {
          env: { ...process.env, [SHARD_PAGES_ENV]: files.pageFiles[i]!, [SHARD_RESULT_ENV]: files.resultFiles[i]! },
          stdin: "ignore",
          stdout: "pipe",
          stderr: "inherit",
        });
        children.add(child);
        const reported = new Set<string>();
        let buf = "";
        const dec = new TextDecoder();
        for await (const chunk of child.stdout) {
          buf += dec.decode(chunk, { stream: true });
          let nl: number;
          while ((nl = buf.indexOf("\n")) >= 0) {
            const m = PROGRESS_RE.exec(buf.slice(0, nl));
            buf = buf.slice(nl + 1);
            if (m) {
              reported.add(m[5]!);
              progress(m[5]!, m[3] === "ok", Number(m[4]));
            }
          }
        }
        const code = await child.exited;
        children.delete(child);
        let result: ShardOutcome | null = null;
        try {
          result = JSON.parse(readFileSync(files.resultFiles[i]!, "utf8")) as ShardOutcome;
        } catch {
          result = null;
        }
        if (result) {
          Object.assign(outcome.data, result.data);
          Object.assign(outcome.failed, result.failed);
        }
        for (const p of shard) {
          if (!reported.has(p.pageId)) {
            outcome.failed[p.pageId] = `page worker process exited with code ${code} before finishing this page`;
            progress(p.pageId, false, 0);
          }
        }
      }),
    );
  } finally {
    cleanupShardFiles(files.dir);
  }
  return outcome;
}

async function runProcessCommand(rawArgs: string[], write: (line: string) => void = (l) => process.stdout.write(l)): Promise<void> {
  const opts = parseProcessArgs(rawArgs);
  process.once("SIGINT", onInterrupt);
  process.once("SIGTERM", onInterrupt);
  const log = createLogger(opts.loggingLevel, "annopage:process");
  const shardPages = process.env[SHARD_PAGES_ENV];
  let prep: Prepared;
  try {
    prep = prepareRun(opts, log, { quiet: !!shardPages });
    // ONNX models open before the first page (a parent of --process-count too: a bad model fails the run, not each page)
    if (prep.pages.length > 0) await openModels(prep);
  } catch (e) {
    if (e instanceof ConfigFileMissingError) throw new CliError(`process: ${e.message}`, EXIT_CONFIG_MISSING);
    if (e instanceof ConfigFileError) throw new CliError(`process: bad config (${opts.config ?? "built-in"}): ${e.message}`, EXIT_FATAL);
    if (e instanceof InputError) throw new CliError(`process: ${e.message}`, EXIT_FATAL);
    throw e;
  }

  // Child of a --process-count run: process exactly the assigned pages, hand the outcome back.
  if (shardPages) {
    const names = new Set(JSON.parse(readFileSync(shardPages, "utf8")) as string[]);
    const pages = prep.pages.filter((p) => names.has(p.imageName));
    let done = 0;
    const outcome = await processPages(prep, pages, log, realIdServices, (p, ok, secs) =>
      write(`${progressLine(++done, pages.length, ok, secs, p.pageId)}\n`),
    );
    const { writeFileSync } = await import("node:fs");
    writeFileSync(process.env[SHARD_RESULT_ENV]!, JSON.stringify(outcome));
    return;
  }

  const total = prep.pages.length;
  let done = 0;
  const report = (pageId: string, ok: boolean, secs: number) => write(`${progressLine(++done, total, ok, secs, pageId)}\n`);
  const outcome =
    prep.opts.processCount > 1 && total > 1
      ? await runSharded(prep, report)
      : await processPages(prep, prep.pages, log, realIdServices, (p, ok, secs) => report(p.pageId, ok, secs));
  writeProcessingInfo(prep.opts.outputProcessingInfoPath, outcome, prep.notices);
  const failed = Object.keys(outcome.failed);
  if (failed.length > 0) {
    const shown = failed.slice(0, 5).join(", ") + (failed.length > 5 ? ", …" : "");
    throw new CliError(`process: ${failed.length} of ${total} pages failed (${shown}); their outputs are missing`, EXIT_PAGES_FAILED);
  }
}

export default withHelp(
  defineCommand({
    meta: { name: "process", description: "Process page images into ALTO, renders, crops (AnnoPage-compatible processor)" },
    args: Object.fromEntries(
      FLAGS.map(([name, kind, valueHint, description]) => [
        name,
        { type: kind === "boolean" ? "boolean" : "string", valueHint: valueHint || undefined, alias: SHORT[name], description },
      ]),
    ) as ArgsDef,
    async run({ rawArgs }) {
      await runProcessCommand(rawArgs);
    },
  }),
  {
    examples: [
      "annopage process --input-image-path scans/ --output-alto-path out/alto",
      "annopage process --config config.ini --input-image-path scans/ --output-crops-path out/crops",
    ],
    notes: ["Exit codes: 0 every page succeeded, 3 some pages failed, 2 usage error, 255 no such --config file, 1 other fatal error."],
  },
);
