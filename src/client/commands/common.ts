/** Shared plumbing of the client subcommands: connection flags, usage errors, API calls. */
import { CliError } from "../../shared/cli-error.ts";
import type { ApiClient } from "../api.ts";
import { connect, connectionArgs, resolveConnection, type Connection } from "../connection.ts";
import { apiFailure, EXIT } from "../exit-codes.ts";

export { connectionArgs };

export const jsonArg = { json: { type: "boolean", description: "Print one JSON document on stdout" } } as const;

export function usageError(problems: string[]): CliError {
  return new CliError(problems.length === 1 ? problems[0]! : `usage problems:\n${problems.map((p) => `  - ${p}`).join("\n")}`, EXIT.USAGE);
}

/** Resolves the connection or throws a usage error listing what is missing. */
export function apiFromArgs(args: { "api-url"?: string; "api-key"?: string }): { api: ApiClient; conn: Connection } {
  const problems: string[] = [];
  const conn = resolveConnection(args, problems);
  if (!conn) throw usageError(problems);
  return { api: connect(conn), conn };
}

/** Runs one API call; any failure becomes the right CliError ("while <what>"). */
export async function call<T>(conn: Connection, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw apiFailure(e, what, conn.apiUrl);
  }
}

/** Positional arguments after the subcommand name(s) (citty leaves them in `args._`). */
export function positionals(args: { _?: unknown }, names: string[]): string[] {
  const given = (Array.isArray(args._) ? args._ : []).map(String);
  const missing = names.slice(given.length);
  if (missing.length) throw usageError([`missing ${missing.map((m) => m.toUpperCase()).join(" ")}`]);
  if (given.length > names.length)
    throw usageError([`unexpected argument${given.length - names.length > 1 ? "s" : ""}: ${given.slice(names.length).join(" ")}`]);
  return given;
}

/** `true`/`false` flags given as strings (`--active false`), undefined when absent. */
export function boolOption(value: unknown, flag: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === true || value === "true" || value === "1" || value === "yes") return true;
  if (value === false || value === "false" || value === "0" || value === "no") return false;
  throw usageError([`--${flag} must be true or false, got "${String(value)}"`]);
}

/**
 * True when a parent command's rawArgs name a subcommand (citty runs the parent's `run` after the
 * subcommand's, so a parent that also has its own action must skip it). Mirrors citty's scan:
 * the first argument that is neither a flag nor the value of a string flag.
 */
export function namesSubcommand(
  rawArgs: string[],
  argsDef: Record<string, { type?: string; alias?: readonly string[] | string }>,
): boolean {
  const valueFlags = new Set<string>();
  for (const [name, def] of Object.entries(argsDef)) {
    if (def.type !== "string") continue;
    valueFlags.add(name);
    for (const a of ([] as string[]).concat((def.alias as string[] | string | undefined) ?? [])) valueFlags.add(a);
  }
  for (let i = 0; i < rawArgs.length; i++) {
    const a = rawArgs[i]!;
    if (a === "--") return false;
    if (a.startsWith("-")) {
      if (!a.includes("=") && valueFlags.has(a.replace(/^-{1,2}/, ""))) i++;
      continue;
    }
    return true;
  }
  return false;
}
