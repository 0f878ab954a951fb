/**
 * Minimal line-preserving editor for configparser-style INI files (docs/processor.md §2.1), on the one INI tokenizer
 * (src/python-compat/configparser.ts): find sections, read a key (case-insensitive), set a key (replacing the old
 * line and its continuation lines, or appending to the section). Comments and layout are kept, unlike the reference
 * worker which rewrites the file through configparser.
 */
import { type IniToken, tokenizeIni } from "../python-compat/configparser.ts";

interface Section {
  name: string;
  /** Index of the header line. */
  header: number;
  /** Index one past the last line that belongs to the section. */
  end: number;
}

type OptionToken = Extract<IniToken, { kind: "option" }>;

export class IniDocument {
  private lines: string[];

  constructor(text: string) {
    this.lines = text.replace(/\r\n/g, "\n").split("\n");
  }

  toString(): string {
    return this.lines.join("\n");
  }

  sections(): Section[] {
    const out: Section[] = [];
    for (const t of tokenizeIni(this.lines)) {
      if (t.kind !== "section") continue;
      if (out.length) out[out.length - 1]!.end = t.line;
      out.push({ name: t.name, header: t.line, end: this.lines.length });
    }
    return out;
  }

  /** Value of `key` in `section` (raw text, continuation lines joined with `\n`), or undefined. */
  get(section: string, key: string): string | undefined {
    return this.find(section, key)?.value;
  }

  /** Sets `key` in `section` to a single-line value (the caller escapes `%` if needed). */
  set(section: string, key: string, value: string): void {
    if (value.includes("\n")) throw new TypeError("INI values written by the worker are single-line");
    const sec = this.sections().find((s) => s.name === section);
    if (!sec) throw new Error(`no section [${section}]`);
    const loc = this.find(section, key);
    if (loc) {
      this.lines.splice(loc.line, loc.end - loc.line, `${loc.key} = ${value}`);
      return;
    }
    // Append after the section's last non-blank line.
    let at = sec.end;
    while (at - 1 > sec.header && this.lines[at - 1]!.trim() === "") at--;
    this.lines.splice(at, 0, `${key} = ${value}`);
  }

  private find(section: string, key: string): OptionToken | undefined {
    const sec = this.sections().find((s) => s.name === section);
    if (!sec) return undefined;
    const want = key.toLowerCase();
    return tokenizeIni(this.lines).find(
      (t): t is OptionToken => t.kind === "option" && t.line > sec.header && t.line < sec.end && t.key.toLowerCase() === want,
    );
  }
}
