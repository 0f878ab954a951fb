/**
 * src/python-compat/: code that exists only to match the Python reference tool byte for byte (its config.ini
 * is read by Python's configparser); it imports nothing of the server, worker, client or processor.
 *
 * INI reader with Python configparser semantics (docs/processor.md §2.1): case-sensitive section
 * names, case-insensitive keys, `=` or `:` delimiters, whole-line `#`/`;` comments (inline comments
 * kept), indented continuation lines joined with "\n" (blank lines inside a value kept, as configparser's
 * empty_lines_in_values; trailing ones dropped), text after a `[SECTION]` header's closing bracket
 * ignored (its header pattern is matched at the line start only), `%%` and `%(key)s` interpolation against the
 * same section and [DEFAULT], duplicate sections/keys rejected (configparser's strict mode).
 */
export class IniError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(line ? `line ${line}: ${message}` : message);
    this.name = "IniError";
  }
}

export interface IniSection {
  name: string;
  /** Raw values by lower-cased key, in file order (without [DEFAULT] keys). */
  raw: Map<string, string>;
}

export interface IniFile {
  defaults: Map<string, string>;
  sections: IniSection[];
}

/** One entry of an INI text as configparser reads it, with its first line (trimmed) and the lines it spans (0-based). */
export type IniToken =
  | { kind: "section"; name: string; text: string; line: number }
  | {
      kind: "option";
      /** As written (trimmed); configparser compares keys lower-cased. */
      key: string;
      /** Raw value: continuation lines joined with "\n", blank lines between them kept. */
      value: string;
      text: string;
      line: number;
      /** One past the option's last line (its last continuation line). */
      end: number;
    }
  | { kind: "invalid"; text: string; line: number };

/**
 * The one INI tokenizer (the reader below and the worker's editor, src/worker/ini.ts): splits `lines` into sections
 * and options as configparser does. Comments and blank lines yield nothing; an indented line after an option
 * (indented deeper than its key) continues it; a line that is neither header nor `key = value` is `invalid`.
 */
export function tokenizeIni(lines: readonly string[]): IniToken[] {
  const tokens: IniToken[] = [];
  let option: Extract<IniToken, { kind: "option" }> | undefined;
  let optionIndent = 0;
  /** Blank lines seen since the last line of the current value (kept only if the value continues). */
  let blanks = 0;
  lines.forEach((rawLine, i) => {
    const line = i === 0 ? rawLine.replace(/^\uFEFF/, "") : rawLine;
    const text = line.trim();
    const indent = line.length - line.trimStart().length;
    if (text.startsWith("#") || text.startsWith(";")) return;
    if (text === "") {
      blanks++;
      return;
    }
    if (option && indent > optionIndent) {
      option.value = `${option.value}${"\n".repeat(blanks + 1)}${text}`;
      option.end = i + 1;
      blanks = 0;
      return;
    }
    blanks = 0;
    option = undefined;
    const sec = /^\[(.+)\]/.exec(text);
    const m = sec ? null : /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(text);
    if (sec) tokens.push({ kind: "section", name: sec[1]!, text, line: i });
    else if (!m) tokens.push({ kind: "invalid", text, line: i });
    else {
      option = { kind: "option", key: m[1]!, value: m[2]!, text, line: i, end: i + 1 };
      optionIndent = indent;
      tokens.push(option);
    }
  });
  return tokens;
}

export function parseIni(text: string): IniFile {
  const defaults = new Map<string, string>();
  const sections: IniSection[] = [];
  let current: Map<string, string> | null = null;
  for (const t of tokenizeIni(text.split(/\r?\n/))) {
    const n = t.line + 1;
    if (t.kind === "section") {
      if (t.name === "DEFAULT") current = defaults;
      else {
        if (sections.some((s) => s.name === t.name)) throw new IniError(`section [${t.name}] appears twice`, n);
        const s: IniSection = { name: t.name, raw: new Map() };
        sections.push(s);
        current = s.raw;
      }
      continue;
    }
    if (!current) throw new IniError(`'${t.text}' is not inside a [SECTION]`, n);
    if (t.kind === "invalid") throw new IniError(`'${t.text}' is neither 'key = value' nor a [SECTION] header`, n);
    const key = t.key.toLowerCase();
    if (current.has(key)) throw new IniError(`key '${key}' appears twice in the same section`, n);
    current.set(key, t.value);
  }
  return { defaults, sections };
}

/** configparser's interpolation escape: a literal `%` is written `%%` (and read back). */
export const escapeIniValue = (v: string) => v.replace(/%/g, "%%");
export const unescapeIniValue = (v: string) => v.replace(/%%/g, "%");

/** configparser BasicInterpolation of `value` within a section (depth-limited like Python). */
function interpolate(value: string, lookup: (key: string) => string | undefined, depth = 0): string {
  if (depth > 10) throw new IniError(`interpolation too deep in '${value}'`);
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c !== "%") {
      out += c;
      continue;
    }
    const next = value[i + 1];
    if (next === "%") {
      out += "%";
      i++;
      continue;
    }
    const m = /^%\(([^)]+)\)s/.exec(value.slice(i));
    if (!m) throw new IniError(`'%' must be followed by '%' or '(name)s' in '${value}' (write a literal % as %%)`);
    const ref = lookup(m[1]!.toLowerCase());
    if (ref === undefined) throw new IniError(`'%(${m[1]})s' refers to a key that does not exist`);
    out += interpolate(ref, lookup, depth + 1);
    i += m[0].length - 1;
  }
  return out;
}

/** A section view: case-insensitive keys, [DEFAULT] fallback, interpolated values. */
export class SectionView {
  constructor(
    readonly name: string,
    private readonly raw: Map<string, string>,
    private readonly defaults: Map<string, string>,
  ) {}
  private lookup = (k: string) => this.raw.get(k) ?? this.defaults.get(k);
  has(key: string): boolean {
    return this.lookup(key.toLowerCase()) !== undefined;
  }
  get(key: string): string | undefined {
    const v = this.lookup(key.toLowerCase());
    return v === undefined ? undefined : interpolate(v, this.lookup);
  }
  keys(): string[] {
    return [...new Set([...this.raw.keys(), ...this.defaults.keys()])];
  }
}

export function sectionViews(ini: IniFile): SectionView[] {
  return ini.sections.map((s) => new SectionView(s.name, s.raw, ini.defaults));
}
