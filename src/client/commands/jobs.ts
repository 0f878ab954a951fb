/**
 * `annopage jobs list|show|cancel|result`: with a user key over the caller's own jobs, with an
 * admin key over all jobs.
 */
import { defineCommand } from "citty";
import { CliError } from "../../shared/cli-error.ts";
import { JobStateSchema } from "../api.ts";
import { EXIT } from "../exit-codes.ts";
import { withHelp } from "../../shared/usage.ts";
import { printJson, printTable } from "../output.ts";
import { resolveOutput, saveResult } from "../result.ts";
import { apiFromArgs, call, connectionArgs, jsonArg, positionals, usageError } from "./common.ts";

const list = withHelp(
  defineCommand({
    meta: { name: "list", description: "List jobs, newest first" },
    args: {
      ...connectionArgs,
      ...jsonArg,
      state: { type: "string", valueHint: "state", description: `Only jobs in this state (${JobStateSchema.options.join(", ")})` },
      "engine-name": { type: "string", description: "Only jobs of this engine" },
      since: { type: "string", valueHint: "time", description: "Only jobs created at or after this time (ISO 8601, taken as UTC)" },
    },
    async run({ args }) {
      positionals(args, []);
      let state: (typeof JobStateSchema.options)[number] | undefined;
      if (args.state !== undefined) {
        const parsed = JobStateSchema.safeParse(args.state);
        if (!parsed.success) throw usageError([`--state must be one of ${JobStateSchema.options.join(", ")}, got "${args.state}"`]);
        state = parsed.data;
      }
      if (args.since !== undefined && Number.isNaN(Date.parse(args.since)))
        throw usageError([`--since is not a date/time: "${args.since}"`]);
      const { api, conn } = apiFromArgs(args);
      const jobs = await call(conn, "listing jobs", () =>
        api.listJobs({ state, engine_name: args["engine-name"], from_created_date: args.since }),
      );
      if (args.json) return printJson(jobs);
      printTable(
        ["ID", "STATE", "PROGRESS", "ENGINE", "CREATED", "FINISHED"],
        jobs.map((j) => [
          j.id,
          j.state,
          `${Math.round(j.progress * 100)}%`,
          [j.engine_name, j.engine_version].filter(Boolean).join(" "),
          j.created_date,
          j.finished_date ?? "",
        ]),
        "No jobs.",
      );
    },
  }),
  { examples: ["annopage jobs list --state processing", "annopage jobs list --since 2026-12-01 --json"] },
);

const show = withHelp(
  defineCommand({
    meta: { name: "show", description: "Show one job: annopage jobs show ID" },
    args: { ...connectionArgs, ...jsonArg },
    async run({ args }) {
      const [id] = positionals(args, ["id"]) as [string];
      const { api, conn } = apiFromArgs(args);
      const job = await call(conn, `reading job ${id}`, () => api.getJob(id));
      if (args.json) return printJson(job);
      const lines: [string, unknown][] = [
        ["id", job.id],
        ["state", job.state],
        ["progress", `${Math.round(job.progress * 100)}%`],
        ["engine", [job.engine_name, job.engine_version].filter(Boolean).join(" ") || "-"],
        ["attempts", job.previous_attempts === undefined || job.previous_attempts === null ? "-" : job.previous_attempts + 1],
        [
          "requires",
          [job.alto_required && "ALTO", job.page_required && "PAGE", job.meta_json_required && "metadata"].filter(Boolean).join(", ") ||
            "images only",
        ],
        ["images", `${job.images.filter((i) => i.image_uploaded).length}/${job.images.length} uploaded`],
        ["created", job.created_date],
        ["started", job.started_date ?? "-"],
        ["last change", job.last_change],
        ["finished", job.finished_date ?? "-"],
      ];
      for (const [k, v] of lines) process.stdout.write(`${k.padEnd(12)} ${String(v)}\n`);
      if (job.log_user) process.stdout.write(`user log:\n${job.log_user.replace(/^/gm, "  ")}\n`);
      if (job.log) process.stdout.write(`log:\n${job.log.replace(/^/gm, "  ")}\n`);
    },
  }),
  { positionals: [["ID", "The job's id"]], examples: ["annopage jobs show 0b7e4f2a-5c1d-4e8f-9a3b-2c6d8e0f1a4b"] },
);

const cancel = withHelp(
  defineCommand({
    meta: { name: "cancel", description: "Cancel a job that has not ended: annopage jobs cancel ID" },
    args: { ...connectionArgs, ...jsonArg },
    async run({ args }) {
      const [id] = positionals(args, ["id"]) as [string];
      const { api, conn } = apiFromArgs(args);
      const env = await call(conn, `cancelling job ${id}`, () => api.cancelJob(id));
      if (args.json) return printJson({ job_id: id, state: "cancelled", code: env.code });
      process.stdout.write(`Job ${id} cancelled\n`);
    },
  }),
  { positionals: [["ID", "The job's id"]], examples: ["annopage jobs cancel 0b7e4f2a-5c1d-4e8f-9a3b-2c6d8e0f1a4b"] },
);

const result = withHelp(
  defineCommand({
    meta: { name: "result", description: "Download the result of a done job: annopage jobs result ID --output FILE.zip|DIR" },
    args: {
      ...connectionArgs,
      ...jsonArg,
      output: { type: "string", required: true, valueHint: "path", description: "FILE.zip, or a directory to unpack into" },
    },
    async run({ args }) {
      const [id] = positionals(args, ["id"]) as [string];
      const problems: string[] = [];
      const target = resolveOutput(args.output, problems);
      if (!target) throw usageError(problems);
      const { api, conn } = apiFromArgs(args);
      const job = await call(conn, `reading job ${id}`, () => api.getJob(id));
      if (job.state !== "done") {
        const why = job.log_user?.trim().split("\n").pop();
        throw new CliError(`job ${id} is ${job.state}${why ? ` (${why})` : ""}; there is no result to download`, EXIT.JOB_FAILED);
      }
      const saved = await call(conn, `downloading the result of job ${id}`, () => saveResult(api, id, target));
      if (args.json) return printJson({ job_id: id, output: saved.path, bytes: saved.bytes, files: saved.files });
      process.stdout.write(`Saved the result of job ${id} (${saved.bytes} bytes) to ${saved.path}\n`);
    },
  }),
  {
    positionals: [["ID", "The job's id"]],
    examples: ["annopage jobs result 0b7e4f2a-5c1d-4e8f-9a3b-2c6d8e0f1a4b --output results.zip"],
  },
);

export default withHelp(
  defineCommand({
    meta: { name: "jobs", description: "Jobs: list, show, cancel, result (user key: own jobs; admin key: all)" },
    subCommands: { list, show, cancel, result },
  }),
  { examples: ["annopage jobs list", "annopage jobs result JOB_ID --output results.zip"] },
);
