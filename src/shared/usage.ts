/**
 * `annopage … --help`: our own rendering of a citty command's usage (citty's own pads every option
 * to the longest one, colours even when piped, hides positional arguments and shows aliases with one
 * dash). Each command adds its positional arguments and examples with `withHelp`. The text fits
 * 100 columns (or a narrower terminal); headings are bold only on a terminal without NO_COLOR.
 */
import type { ArgsDef, CommandDef } from "citty";

export interface Help {
  /** Positional arguments, in order: [NAME, description]. */
  positionals?: [string, string][];
  /** Whole command lines, each starting with `annopage`. */
  examples: string[];
  /** Extra paragraphs after the options (exit codes, environment…). */
  notes?: string[];
}

const HELP = new WeakMap<object, Help>();

/** Attaches positional arguments and examples to a command (returns it, for `export default`). */
export function withHelp<T extends object>(cmd: T, help: Help): T {
  HELP.set(cmd, help);
  return cmd;
}

function helpOf(cmd: object): Help | undefined {
  return HELP.get(cmd);
}

type AnyCommand = CommandDef<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const resolve = async <T>(v: T | (() => T | Promise<T>) | Promise<T>): Promise<T> =>
  typeof v === "function" ? await (v as () => T | Promise<T>)() : await v;

export async function subCommandsOf(cmd: AnyCommand): Promise<[string, AnyCommand][]> {
  if (!cmd.subCommands) return [];
  const subs = await resolve(cmd.subCommands as unknown as Record<string, unknown>);
  const out: [string, AnyCommand][] = [];
  for (const [name, sub] of Object.entries(subs)) out.push([name, (await resolve(sub)) as AnyCommand]);
  return out;
}

/** Splits `text` into lines of at most `width` characters (words longer than that stay whole). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.length ? lines : [""];
}

/** Two columns: `label` then its wrapped description; a long label puts the description below it. */
function columns(rows: [string, string][], width: number): string[] {
  const labelWidth = Math.min(Math.max(...rows.map(([l]) => l.length)), 34);
  const descCol = 2 + labelWidth + 2;
  const out: string[] = [];
  for (const [label, desc] of rows) {
    const text = wrap(desc, width - descCol);
    if (label.length > labelWidth) out.push(`  ${label}`, ...text.map((t) => `${" ".repeat(descCol)}${t}`));
    else out.push(`  ${label.padEnd(labelWidth)}  ${text[0]}`, ...text.slice(1).map((t) => `${" ".repeat(descCol)}${t}`));
  }
  return out;
}

/** `<url>` for --api-url, `<dir>` for --base-dir: the last word of the option's name. */
const valueHint = (name: string, hint?: string) => `<${hint ?? name.split("-").pop()}>`;

const dashes = (name: string) => (name.length === 1 ? `-${name}` : `--${name}`);

function optionRows(args: ArgsDef): { rows: [string, string][]; required: string[] } {
  const rows: [string, string][] = [];
  const required: string[] = [];
  for (const [name, def] of Object.entries(args)) {
    if (def.type === "positional") continue;
    const aliases = ([] as string[]).concat((def as { alias?: string | string[] }).alias ?? []);
    const hint = def.type === "boolean" ? "" : ` ${valueHint(name, def.valueHint)}`;
    const label = [...aliases.filter((a) => a.length === 1), name, ...aliases.filter((a) => a.length > 1)].map(dashes).join(", ") + hint;
    const isRequired = (def as { required?: boolean }).required === true && def.default === undefined;
    if (isRequired) required.push(`--${name}${hint}`);
    const extras = [isRequired ? "(required)" : "", def.default !== undefined ? `(default: ${String(def.default)})` : ""].filter(Boolean);
    rows.push([label, [def.description ?? "", ...extras].filter(Boolean).join(" ")]);
  }
  return { rows, required };
}

export interface RenderOptions {
  width?: number;
  color?: boolean;
}

/** The help text of `cmd`, reached as `path` (e.g. ["annopage", "keys", "create"]). */
export async function renderUsage(cmd: AnyCommand, path: string[], opts: RenderOptions = {}): Promise<string> {
  const width = opts.width ?? 100;
  const heading = (t: string) => (opts.color ? `\x1b[1m${t}\x1b[22m` : t);
  const meta = await resolve(cmd.meta ?? {});
  const args = (await resolve(cmd.args ?? {})) as ArgsDef;
  const help = helpOf(cmd);
  const subs = await subCommandsOf(cmd);
  const { rows, required } = optionRows(args);
  const positionals = help?.positionals ?? [];
  const out: string[] = [...wrap(meta.description ?? "", width), ""];

  const usage = [...path, ...positionals.map(([n]) => n), ...required];
  if (subs.length) usage.push(cmd.run ? "[COMMAND]" : "COMMAND");
  if (rows.length > required.length) usage.push("[OPTIONS]");
  out.push(heading("USAGE"), ...wrap(usage.join(" "), width - 4).map((l, i) => `${i ? "    " : "  "}${l}`), "");
  if (positionals.length) out.push(heading("ARGUMENTS"), ...columns(positionals, width), "");
  if (rows.length) out.push(heading("OPTIONS"), ...columns(rows, width), "");
  if (subs.length) {
    const visible = subs.filter(([, c]) => !(c.meta as { hidden?: boolean } | undefined)?.hidden);
    const subRows: [string, string][] = [];
    for (const [name, c] of visible) subRows.push([name, (await resolve(c.meta ?? {})).description ?? ""]);
    out.push(heading("COMMANDS"), ...columns(subRows, width), "");
  }
  for (const note of help?.notes ?? []) out.push(...wrap(note, width), "");
  if (help?.examples.length) {
    out.push(heading(help.examples.length > 1 ? "EXAMPLES" : "EXAMPLE"));
    for (const ex of help.examples)
      out.push(...(ex.length <= width - 2 ? [`  ${ex}`] : wrap(ex, width - 6).map((l, i) => `${i ? "      " : "  "}${l}`)));
    out.push("");
  }
  if (subs.length) out.push(`Run \`${path.join(" ")} COMMAND --help\` for a command's options and examples.`, "");
  return out.join("\n").replace(/\n+$/, "\n");
}
