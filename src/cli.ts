#!/usr/bin/env bun
/**
 * `annopage`: one executable, several subcommands. Each subcommand module is loaded only when
 * it runs. Failures are printed here, once: a CliError or ConfigError as one line with its exit
 * code (ConfigError: 2), anything else as one line with exit code 1.
 */
import { defineCommand, runCommand, type CommandDef } from "citty";
import { CliError } from "./shared/cli-error.ts";
import { renderUsage, subCommandsOf, withHelp } from "./shared/usage.ts";
import pkg from "../package.json" with { type: "json" };

export const main = withHelp(defineCommand({
  meta: { name: "annopage", version: pkg.version, description: "AnnoPage API: server, worker, client and page processor" },
  subCommands: {
    serve: () => import("./cli/serve-command.ts").then((m) => m.default),
    work: () => import("./worker/command.ts").then((m) => m.default),
    submit: () => import("./client/commands/submit.ts").then((m) => m.default),
    engines: () => import("./client/commands/engines.ts").then((m) => m.default),
    keys: () => import("./client/commands/keys.ts").then((m) => m.default),
    jobs: () => import("./client/commands/jobs.ts").then((m) => m.default),
    demo: () => import("./demo/command.ts").then((m) => m.default),
    process: () => import("./engine/command.ts").then((m) => m.default),
  },
}), {
  examples: [
    "annopage serve                     # the API server; prints the admin key on first start",
    "annopage submit --images scans/ --output results.zip",
    "annopage process --input-image-path scans/ --output-alto-path out/alto",
  ],
  notes: ["Options: --help (any command), --version. Client commands read ANNOPAGE_API_URL and ANNOPAGE_API_KEY."],
});

/** The command that `rawArgs` name (following subcommand names) and its path, e.g. ["annopage", "keys", "create"]. */
async function resolveTarget(cmd: CommandDef<any>, rawArgs: string[], path: string[] = ["annopage"]): Promise<[CommandDef<any>, string[]]> {
  const name = rawArgs.find((a) => !a.startsWith("-"));
  const sub = name ? (await subCommandsOf(cmd)).find(([n]) => n === name) : undefined;
  if (sub) return resolveTarget(sub[1], rawArgs.slice(rawArgs.indexOf(name!) + 1), [...path, sub[0]]);
  return [cmd, path];
}

export async function run(rawArgs: string[]): Promise<number> {
  try {
    if (rawArgs.length === 0 || rawArgs.includes("--help") || rawArgs.includes("-h")) {
      const [cmd, path] = await resolveTarget(main, rawArgs);
      const tty = !!process.stdout.isTTY;
      const width = tty && process.stdout.columns ? Math.max(60, Math.min(100, process.stdout.columns)) : 100;
      process.stdout.write(await renderUsage(cmd, path, { width, color: tty && !process.env.NO_COLOR }));
      return 0;
    }
    if (rawArgs.length === 1 && (rawArgs[0] === "--version" || rawArgs[0] === "-v")) {
      console.log(pkg.version);
      return 0;
    }
    await runCommand(main, { rawArgs });
    return 0;
  } catch (e) {
    // Loaded here, not on top: the processor supervisor starts from this file and should stay small.
    const [{ ConfigError }, { DataDirInUseError }] = await Promise.all([import("./config.ts"), import("./db/embedded.ts")]);
    const err = e as Error & { code?: string };
    if (e instanceof CliError) {
      process.stderr.write(`annopage: ${e.message}\n`);
      return e.exitCode;
    }
    if (e instanceof ConfigError) {
      process.stderr.write(`annopage: invalid configuration: ${e.message}\n`);
      return 2;
    }
    if (e instanceof DataDirInUseError) {
      process.stderr.write(`annopage: ${e.message}\n`);
      return 1;
    }
    if (err?.name === "CLIError" || err?.code?.startsWith?.("E_")) {
      // citty's own usage errors: plain text, pointing at the help of the command that was meant.
      const [cmd, path] = await resolveTarget(main, rawArgs).catch(() => [main, ["annopage"]] as const);
      let message = err.message.replace(/\x1b\[[0-9;]*m/g, "");
      if (err.code === "E_NO_COMMAND") message = `a command is needed: ${(await subCommandsOf(cmd)).map(([n]) => n).join(", ")}`;
      process.stderr.write(`annopage: ${message} (see ${path.join(" ")} --help)\n`);
      return 2;
    }
    process.stderr.write(`annopage: ${err?.message ?? String(e)}\n`);
    if (process.env.ANNOPAGE_DEBUG) console.error(e);
    return 1;
  }
}

if (import.meta.main) {
  // The worker's processor supervisor (src/worker/supervisor.ts): internal, not a subcommand.
  const { SUPERVISE_ARG, supervise } = await import("./worker/supervisor.ts");
  if (process.argv[2] === SUPERVISE_ARG) await supervise(process.argv.slice(3));
  // Started as annopage_client / annopage_worker / annopage_api (e.g. a symlink to the binary)?
  const { aliasedArgs } = await import("./client/aliases.ts");
  const code = await run(aliasedArgs([process.argv0, process.argv[1]], process.argv.slice(2)));
  process.exit(code);
}
