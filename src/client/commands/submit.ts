/**
 * `annopage submit`: send a folder of pages to the API and bring back the result.
 * Also reachable as `annopage_client` (the reference client's name and flags).
 */
import { unknownOptions } from "../../shared/unknown-options.ts";
import { defineCommand, type ArgsDef } from "citty";
import { CliError } from "../../shared/cli-error.ts";
import { ApiError } from "../api.ts";
import { connect, connectionArgs, resolveConnection } from "../connection.ts";
import { apiFailure, EXIT } from "../exit-codes.ts";
import { collectInputs, formatProblems } from "../inputs.ts";
import { printJson } from "../output.ts";
import { chooseMode, createReporter } from "../progress.ts";
import { resolveOutput } from "../result.ts";
import { DEFAULT_OUTPUTS, OUTPUT_NAMES, resolveEngineSettings } from "../settings.ts";
import { Interrupted, submit, type SubmitOutcome } from "../submit.ts";
import { withHelp } from "../../shared/usage.ts";
import { usageError } from "./common.ts";
import { listEnginesOutput } from "./engines.ts";

const args = {
  ...connectionArgs,
  images: {
    type: "string",
    valueHint: "dir",
    description: "Directory of page images (.jpg .jpeg .png .tif .tiff .bmp .webp), sent in natural order",
  },
  alto: { type: "string", valueHint: "dir", alias: ["alto-xmls"], description: "Directory of ALTO files, <image stem>.xml" },
  "page-xmls": { type: "string", valueHint: "dir", alias: ["page"], description: "Directory of PAGE XML files, <image stem>.xml" },
  metadata: { type: "string", valueHint: "file", description: "Metadata JSON file for the job" },
  config: { type: "string", valueHint: "file", description: "JSON file with the job's engine_settings ({outputs, image_captioning})" },
  "engine-name": { type: "string", description: "Engine to use (default: the server's default engine)" },
  output: { type: "string", valueHint: "path", description: "Where the result goes: FILE.zip, or a directory to unpack it into" },
  "output-alto": {
    type: "boolean",
    description: "Ask for ALTO output (engine_settings.outputs.alto); the default when no output is chosen",
  },
  "output-embeddings": { type: "boolean", description: "Ask for embeddings" },
  "output-embeddings-jsonlines": { type: "boolean", description: "Embeddings as JSON lines" },
  "output-renders": { type: "boolean", description: "Ask for rendered pages" },
  "output-crops": { type: "boolean", description: "Ask for crops of the detected elements" },
  "output-image-captioning-prompts": { type: "boolean", description: "Ask for the image-captioning prompts" },
  "no-outputs": {
    type: "boolean",
    description:
      "Ask for no outputs at all (without it, no --output-* flag and no outputs in --config means ALTO is asked for, said on stderr)",
  },
  "image-captioning-settings": {
    type: "string",
    valueHint: "json",
    description: "Image-captioning settings: a JSON file or a JSON string (an 'api' other than the engine's needs its own 'api_key')",
  },
  "polling-interval": { type: "string", valueHint: "seconds", description: "Seconds between job status checks (default 1.0)" },
  parallel: { type: "string", valueHint: "n", description: "Uploads at the same time (default 4)" },
  job: { type: "string", valueHint: "id", description: "Resume this job: upload only what is missing, then wait" },
  detach: {
    type: "boolean",
    description: "On Ctrl-C leave the job running instead of cancelling it (resume later with --job); either way the exit code is 130",
  },
  "list-engines": { type: "boolean", description: "List the available engines and exit" },
  json: { type: "boolean", description: "No progress bars; one JSON document on stdout at the end" },
  "logging-level": { type: "string", description: "Accepted for compatibility with annopage_client (ignored)" },
  "reference-client": { type: "boolean", description: "Reference defaults (set by the annopage_client alias): --output defaults to ./" },
} satisfies ArgsDef;

function positiveNumber(value: string | undefined, flag: string, dflt: number, problems: string[], integer = false): number {
  if (value === undefined || value === "") return dflt;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    problems.push(`--${flag} must be a positive ${integer ? "integer" : "number"}, got "${value}"`);
    return dflt;
  }
  return n;
}

function summary(o: SubmitOutcome): string {
  const t = o.timings;
  const times = `upload ${t.upload_s.toFixed(1)} s, processing ${t.processing_s.toFixed(1)} s, download ${t.download_s.toFixed(1)} s`;
  if (o.state === "done") return `Job ${o.job_id} done in ${t.total_s.toFixed(1)} s (${times}); result: ${o.output}`;
  return `Job ${o.job_id} ended ${o.state}: ${o.reason}`;
}

export default withHelp(
  defineCommand({
    meta: { name: "submit", description: "Submit a folder of page images (with ALTO/PAGE and metadata) and download the result" },
    args,
    async run({ args: a, rawArgs }) {
      const problems: string[] = unknownOptions(rawArgs, args);
      const jsonMode = !!a.json || !process.stdout.isTTY;
      const conn = resolveConnection(a, problems);

      if (a["list-engines"]) {
        if (!conn) throw usageError(problems);
        await listEnginesOutput(connect(conn), conn, !!a.json);
        return;
      }

      const pollSeconds = positiveNumber(a["polling-interval"], "polling-interval", 1.0, problems);
      const parallel = positiveNumber(a.parallel, "parallel", 4, problems, true);
      const output = resolveOutput(a.output ?? (a["reference-client"] ? "./" : undefined), problems);
      const outputFlags = Object.fromEntries(OUTPUT_NAMES.map((n) => [n, !!a[`output-${n.replaceAll("_", "-")}` as keyof typeof a]]));
      // citty reads --no-outputs as the negation of "outputs"
      const noOutputs = (a as { outputs?: boolean }).outputs === false;
      if (noOutputs && Object.values(outputFlags).some(Boolean)) problems.push("--no-outputs cannot be combined with --output-* flags");
      // Default outputs (docs/decisions.md §10): not for a resumed job (it has its settings), --no-outputs, or the reference client's alias.
      const useDefault = !a.job && !noOutputs && !a["reference-client"];
      const { settings: engineSettings, defaulted } = resolveEngineSettings(
        {
          config: a.config,
          outputs: outputFlags,
          imageCaptioningSettings: a["image-captioning-settings"],
          defaultOutputs: useDefault ? DEFAULT_OUTPUTS : undefined,
        },
        problems,
      );
      // Resuming a job whose files are all on the server needs no local inputs at all.
      const noLocalInputs = a.job && !a.images && !a.alto && !a["page-xmls"] && !a.metadata;
      const { inputs, problems: inputProblems } = noLocalInputs
        ? { inputs: { images: [], altoRequired: false, pageRequired: false, totalBytes: 0 }, problems: [] }
        : collectInputs({ imagesDir: a.images, altoDir: a.alto, pageDir: a["page-xmls"], metadataFile: a.metadata });
      problems.push(...inputProblems);
      if (problems.length || !inputs || !conn || !output) {
        const err = new CliError(formatProblems(problems), EXIT.USAGE);
        if (jsonMode) printJson({ state: null, error: err.message, problems, exit_code: err.exitCode });
        throw err;
      }

      const reporter = createReporter(chooseMode({ json: !!a.json, stderrIsTty: !!process.stderr.isTTY }));
      // on stderr in every mode (--json too): the job asks for something the user did not name
      if (defaulted) process.stderr.write("No output chosen: asking for ALTO (--output-alto); --no-outputs asks for none\n");
      const api = connect(conn, {
        onRetry: ({ method, path, attempt, delayMs, error }) =>
          reporter.info(
            `retrying ${method} ${path} in ${(delayMs / 1000).toFixed(1)} s (attempt ${attempt + 1}): ${error.status ? `${error.status} ${error.code}` : error.detail}`,
          ),
      });

      const ac = new AbortController();
      let jobId: string | undefined = a.job;
      let interrupts = 0;
      const onSignal = () => {
        interrupts++;
        if (interrupts > 1) process.exit(EXIT.INTERRUPTED);
        reporter.info(
          a.detach ? "Interrupted: detaching (the job keeps running)" : "Interrupted: cancelling the job (Ctrl-C again to quit at once)",
        );
        ac.abort();
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);

      let outcome: SubmitOutcome;
      try {
        outcome = await submit({
          api,
          apiUrl: conn.apiUrl,
          inputs,
          output,
          engineName: a["engine-name"],
          engineSettings,
          jobId: a.job,
          parallel,
          pollIntervalMs: pollSeconds * 1000,
          reporter,
          signal: ac.signal,
          onJob: (id) => (jobId = id),
        });
      } catch (e) {
        reporter.end();
        let err: CliError;
        let state: string | null = null;
        if (e instanceof Interrupted) {
          if (a.detach || !e.jobId) {
            err = new CliError(
              e.jobId ? `detached from job ${e.jobId}; resume with --job ${e.jobId}` : "interrupted before a job was created",
              EXIT.INTERRUPTED,
            );
          } else {
            try {
              await api.cancelJob(e.jobId);
              state = "cancelled";
              err = new CliError(`interrupted: job ${e.jobId} cancelled`, EXIT.INTERRUPTED);
            } catch (ce) {
              if (ce instanceof ApiError && ce.code === "JOB_UNCANCELLABLE") {
                state = ((ce.details as { state?: string } | undefined)?.state ?? null) as string | null;
                err = new CliError(
                  `interrupted: job ${e.jobId} had already ended (${state ?? "unknown state"}); fetch it with annopage jobs result ${e.jobId}`,
                  EXIT.INTERRUPTED,
                );
              } else {
                err = apiFailure(ce, `cancelling job ${e.jobId}`, conn.apiUrl);
              }
            }
          }
        } else {
          err = e instanceof CliError ? e : apiFailure(e, "submitting", conn.apiUrl);
        }
        if (jsonMode) printJson({ job_id: jobId ?? null, state, error: err.message, exit_code: err.exitCode });
        throw err;
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }

      if (jsonMode) printJson(outcome);
      else process.stdout.write(`${summary(outcome)}\n`);
      if (outcome.state !== "done") {
        throw new CliError(`job ${outcome.job_id} ended ${outcome.state}: ${outcome.reason}`, EXIT.JOB_FAILED);
      }
    },
  }),
  {
    examples: [
      "annopage submit --images scans/ --output-alto --output-crops --output results.zip",
      "annopage submit --images scans/ --alto alto/ --metadata meta.json --output out/",
      "annopage submit --job JOB_ID --output results.zip    # resume an interrupted submit",
    ],
    notes: [
      "Exit codes: 0 done, 1 the job failed or was cancelled, 2 usage or input problem, 3 server unreachable, " +
        "130 interrupted (Ctrl-C cancels the job, or with --detach leaves it running).",
    ],
  },
);
