/**
 * The one place a failed command is printed: a CliError (DataDirInUseError is one) or ConfigError as one line with
 * its exit code (ConfigError: 2), citty's usage errors as one line pointing at the help (2), anything else as one line
 * with exit code 1 (the stack with ANNOPAGE_DEBUG set). Imports nothing heavy: the database modules are not loaded
 * to recognise their errors.
 */
import type { CommandDef } from "citty";
import { CliError } from "../shared/cli-error.ts";
import { ConfigError } from "../shared/config-error.ts";
import { subCommandsOf } from "../shared/usage.ts";

/** Prints `e` on stderr and returns the exit code; `target` names the command that was meant (for usage errors). */
export async function reportFailure(e: unknown, target: () => Promise<readonly [CommandDef<any>, readonly string[]]>): Promise<number> {
  const err = e as Error & { code?: string };
  if (e instanceof CliError) {
    process.stderr.write(`annopage: ${e.message}\n`);
    return e.exitCode;
  }
  if (e instanceof ConfigError) {
    process.stderr.write(`annopage: invalid configuration: ${e.message}\n`);
    return 2;
  }
  if (err?.name === "CLIError" || err?.code?.startsWith?.("E_")) {
    // citty's own usage errors: plain text, pointing at the help of the command that was meant.
    const [cmd, path] = await target();
    let message = err.message.replace(/\x1b\[[0-9;]*m/g, "");
    if (err.code === "E_NO_COMMAND") message = `a command is needed: ${(await subCommandsOf(cmd)).map(([n]) => n).join(", ")}`;
    process.stderr.write(`annopage: ${message} (see ${path.join(" ")} --help)\n`);
    return 2;
  }
  process.stderr.write(`annopage: ${err?.message ?? String(e)}\n`);
  if (process.env.ANNOPAGE_DEBUG) console.error(e);
  return 1;
}
