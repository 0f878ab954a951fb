/**
 * Minimal line-preserving editor for configparser-style INI files (annopage-tool §2.1): find
 * sections, read a key (case-insensitive), set a key (replacing the old line and its indented
 * continuation lines, or appending to the section). Comments and layout are kept, unlike the
 * reference worker which rewrites the file through configparser.
 */

interface Section {
  name: string;
  /** Index of the header line. */
  header: number;
  /** Index one past the last line that belongs to the section. */
  end: number;
}

const HEADER = /^\s*\[([^\]]+)\]\s*$/;
const KEY_LINE = /^([^\s#;=:][^=:]*?)\s*[=:]\s?(.*)$/;

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
    this.lines.forEach((line, i) => {
      const m = HEADER.exec(line);
      if (m) {
        if (out.length) out[out.length - 1]!.end = i;
        out.push({ name: m[1]!, header: i, end: this.lines.length });
      }
    });
    return out;
  }

  /** Value of `key` in `section` (raw text, continuation lines joined with `\n`), or undefined. */
  get(section: string, key: string): string | undefined {
    const loc = this.find(section, key);
    if (!loc) return undefined;
    return [loc.first, ...this.lines.slice(loc.line + 1, loc.stop).map((l) => l.trim())].join("\n").trim();
  }

  /** Sets `key` in `section` to a single-line value (the caller escapes `%` if needed). */
  set(section: string, key: string, value: string): void {
    if (value.includes("\n")) throw new TypeError("INI values written by the worker are single-line");
    const sec = this.sections().find((s) => s.name === section);
    if (!sec) throw new Error(`no section [${section}]`);
    const loc = this.find(section, key);
    if (loc) {
      this.lines.splice(loc.line, loc.stop - loc.line, `${loc.key} = ${value}`);
      return;
    }
    // Append after the section's last non-blank line.
    let at = sec.end;
    while (at - 1 > sec.header && this.lines[at - 1]!.trim() === "") at--;
    this.lines.splice(at, 0, `${key} = ${value}`);
  }

  private find(section: string, key: string): { line: number; stop: number; key: string; first: string } | undefined {
    const sec = this.sections().find((s) => s.name === section);
    if (!sec) return undefined;
    const want = key.toLowerCase();
    for (let i = sec.header + 1; i < sec.end; i++) {
      const line = this.lines[i]!;
      if (/^\s/.test(line) || /^[#;]/.test(line)) continue;
      const m = KEY_LINE.exec(line);
      if (!m || m[1]!.trim().toLowerCase() !== want) continue;
      let stop = i + 1;
      while (stop < sec.end && /^\s+\S/.test(this.lines[stop]!)) stop++;
      return { line: i, stop, key: m[1]!.trim(), first: m[2]! };
    }
    return undefined;
  }
}

/** configparser interpolation escape: a literal `%` is written `%%`. */
export const escapeIniValue = (v: string) => v.replace(/%/g, "%%");
export const unescapeIniValue = (v: string) => v.replace(/%%/g, "%");
