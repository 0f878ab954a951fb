/**
 * src/python-compat/: code that exists only to match the Python reference tool byte for byte (its config.ini
 * is read by Python's configparser); it imports nothing of the server, worker, client or processor.
 *
 * INI reader with Python configparser semantics (annopage-tool.md §2.1): case-sensitive section
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

export function parseIni(text: string): IniFile {
  const defaults = new Map<string, string>();
  const sections: IniSection[] = [];
  let current: Map<string, string> | null = null;
  let lastKey: string | null = null;
  let lastIndent = 0;
  /** Blank lines seen since the last line of the current value (kept only if the value continues). */
  let blanks = 0;
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  lines.forEach((rawLine, i) => {
    const n = i + 1;
    const stripped = rawLine.trim();
    const indent = rawLine.length - rawLine.trimStart().length;
    if (stripped.startsWith("#") || stripped.startsWith(";")) return;
    if (stripped === "") {
      blanks++;
      return;
    }
    if (lastKey !== null && current && indent > lastIndent) {
      current.set(lastKey, `${current.get(lastKey)}${"\n".repeat(blanks + 1)}${stripped}`);
      blanks = 0;
      return;
    }
    blanks = 0;
    const sec = /^\[(.+)\]/.exec(stripped);
    if (sec) {
      const name = sec[1]!;
      if (name === "DEFAULT") current = defaults;
      else {
        if (sections.some((s) => s.name === name)) throw new IniError(`section [${name}] appears twice`, n);
        const s: IniSection = { name, raw: new Map() };
        sections.push(s);
        current = s.raw;
      }
      lastKey = null;
      return;
    }
    if (!current) throw new IniError(`'${stripped}' is not inside a [SECTION]`, n);
    const m = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(stripped);
    if (!m) throw new IniError(`'${stripped}' is neither 'key = value' nor a [SECTION] header`, n);
    const key = m[1]!.toLowerCase();
    if (current.has(key)) throw new IniError(`key '${key}' appears twice in the same section`, n);
    current.set(key, m[2]!);
    lastKey = key;
    lastIndent = indent;
  });
  return { defaults, sections };
}

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
