/**
 * `annopage … --help` for every command and subcommand, as a real child process with stdout piped:
 * plain text (no ANSI escapes), every line within 100 columns, a USAGE line that starts with the
 * full command (positional arguments and required options in it), required options marked, aliases
 * with two dashes, and at least one example per command.
 */
import { expect, test } from "bun:test";
import type { CommandDef } from "citty";
import { main } from "../../src/cli.ts";
import { subCommandsOf } from "../../src/shared/usage.ts";
import { startCli } from "../helpers/cli.ts";

async function commandPaths(cmd: CommandDef<any>, path: string[] = []): Promise<string[][]> {
  // eslint-disable-line @typescript-eslint/no-explicit-any
  const out = [path];
  for (const [name, sub] of await subCommandsOf(cmd)) out.push(...(await commandPaths(sub, [...path, name])));
  return out;
}

async function help(path: string[]): Promise<{ code: number; text: string }> {
  // TERM and FORCE_COLOR as a colour terminal would set them: piped output must stay plain anyway.
  const c = startCli([...path, "--help"], { env: { NO_COLOR: undefined, FORCE_COLOR: "1", TERM: "xterm-256color" } });
  const code = await c.exited;
  return { code, text: c.output() };
}

test("every command's --help, piped: plain, ≤ 100 columns, USAGE starting with the command, an example", async () => {
  const paths = await commandPaths(main);
  expect(paths.length).toBeGreaterThan(15);
  const results = await Promise.all(paths.map(async (p) => ({ path: p, ...(await help(p)) })));
  for (const { path, code, text } of results) {
    const name = ["annopage", ...path].join(" ");
    expect({ name, code }).toEqual({ name, code: 0 });
    expect({ name, ansi: /\x1b\[/.test(text) }).toEqual({ name, ansi: false });
    const lines = text.split("\n");
    expect({ name, long: lines.filter((l) => l.length > 100) }).toEqual({ name, long: [] });
    const usage = lines[lines.indexOf("USAGE") + 1]?.trim() ?? "";
    expect(usage.startsWith(`${name} `) || usage === name).toBe(true);
    expect({ name, example: /^EXAMPLES?$/m.test(text) }).toEqual({ name, example: true });
    const examples = lines.slice(lines.findIndex((l) => /^EXAMPLES?$/.test(l)) + 1).filter((l) => l.startsWith("  annopage"));
    expect({ name, examples: examples.length > 0 }).toEqual({ name, examples: true });
  }
}, 120_000);

test("positional arguments and required options are in the USAGE line and marked; aliases have two dashes", async () => {
  const create = (await help(["keys", "create"])).text;
  expect(create).toContain("USAGE\n  annopage keys create LABEL --role <role> [OPTIONS]\n");
  expect(create).toMatch(/--role <role> +Role: .*\(required\)/);
  expect(create).toMatch(/ARGUMENTS\n {2}LABEL /);
  const upload = (await help(["engines", "upload-files"])).text;
  expect(upload).toContain("annopage engines upload-files NAME VERSION FILE");
  const submit = (await help(["submit"])).text;
  expect(submit).toContain("--alto, --alto-xmls <dir>");
  expect(submit).toContain("--page-xmls, --page <dir>");
  expect(submit).not.toMatch(/(^|[ ,])-[a-z]{2,}/m); // no long name with a single dash
  expect(submit).toContain("130 interrupted");
  const process = (await help(["process"])).text;
  expect(process).toContain("-s, --skip-processed");
}, 60_000);

test("a missing or unknown subcommand is one plain line pointing at that command's help, exit 2", async () => {
  const none = startCli(["keys"], { env: { NO_COLOR: undefined } });
  expect(await none.exited).toBe(2);
  expect(none.output()).toBe("annopage: a command is needed: create, list, rotate, disable, enable (see annopage keys --help)\n");
  const unknown = startCli(["jobs", "nope"], { env: { NO_COLOR: undefined } });
  expect(await unknown.exited).toBe(2);
  expect(unknown.output()).toBe("annopage: Unknown command nope (see annopage jobs --help)\n");
}, 60_000);
