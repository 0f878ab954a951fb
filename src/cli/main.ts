/**
 * `annopage`: one executable, several subcommands. Each subcommand module is loaded only when it runs; a failure is
 * printed once, by errors.ts. The entry (src/cli.ts) runs `run`.
 */
import { defineCommand, runCommand, type CommandDef } from "citty";
import { renderUsage, subCommandsOf, withHelp } from "../shared/usage.ts";
import pkg from "../../package.json" with { type: "json" };
import { reportFailure } from "./errors.ts";

export const main = withHelp(
  defineCommand({
    meta: { name: "annopage", version: pkg.version, description: "AnnoPage API: server, worker, client and page processor" },
    subCommands: {
      serve: () => import("./serve-command.ts").then((m) => m.default),
      work: () => import("../worker/command.ts").then((m) => m.default),
      submit: () => import("../client/commands/submit.ts").then((m) => m.default),
      engines: () => import("../client/commands/engines.ts").then((m) => m.default),
      keys: () => import("../client/commands/keys.ts").then((m) => m.default),
      jobs: () => import("../client/commands/jobs.ts").then((m) => m.default),
      demo: () => import("../demo/command.ts").then((m) => m.default),
      process: () => import("../processor/command.ts").then((m) => m.default),
    },
  }),
  {
    examples: [
      "annopage serve                     # the API server; prints the admin key on first start",
      "annopage submit --images scans/ --output results.zip",
      "annopage process --input-image-path scans/ --output-alto-path out/alto",
    ],
    notes: ["Options: --help (any command), --version. Client commands read ANNOPAGE_API_URL and ANNOPAGE_API_KEY."],
  },
);

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
    return reportFailure(e, () => resolveTarget(main, rawArgs).catch(() => [main, ["annopage"]] as const));
  }
}
