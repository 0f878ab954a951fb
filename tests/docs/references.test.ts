/**
 * Comments point at what exists: every docs/… file and every src/… path named in a comment of src/, tests/, bench/,
 * scripts/ or sql/ exists, and every section a comment cites as `docs/<file>.md §N` is a heading of that file (or an
 * item of a numbered list under one: `docs/protocol.md §11.16` is item 16 of §11). A moved file or a renumbered
 * section fails here, naming the comment.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..", "..");
const FOLDERS = ["src", "tests", "bench", "scripts", "sql"];

function sourceFiles(): string[] {
  const files: string[] = [];
  for (const folder of FOLDERS)
    for (const f of new Bun.Glob("**/*.{ts,tsx,sql,sh,css}").scanSync({ cwd: join(ROOT, folder) })) files.push(`${folder}/${f}`);
  return files.sort();
}

/** The comments of a TypeScript/CSS source (strings, template literals and regex literals skipped), or of SQL/shell. */
function comments(file: string, src: string): string[] {
  if (file.endsWith(".sql")) return src.split("\n").flatMap((l) => (l.includes("--") ? [l.slice(l.indexOf("--"))] : []));
  if (file.endsWith(".sh")) return src.split("\n").flatMap((l) => (/(^|\s)#(?!!)/.test(l) ? [l.slice(l.search(/(^|\s)#/))] : []));
  const out: string[] = [];
  const templates: number[] = []; // open `${` nesting: braces seen inside each
  let last = ""; // last significant token, to tell a regex literal from a division
  let i = 0;
  const skipTemplate = (j: number): number => {
    while (j < src.length) {
      if (src[j] === "\\") j += 2;
      else if (src[j] === "`") return j + 1;
      else if (src[j] === "$" && src[j + 1] === "{") {
        templates.push(0);
        return j + 2;
      } else j++;
    }
    return j;
  };
  while (i < src.length) {
    const c = src[i]!;
    const next = src[i + 1];
    if (c === "/" && (next === "/" || next === "*")) {
      const end = next === "/" ? src.indexOf("\n", i) : src.indexOf("*/", i + 2) + 2;
      const stop = end <= 1 || end < i ? src.length : end;
      out.push(src.slice(i, stop));
      i = stop;
    } else if (c === '"' || c === "'") {
      i++;
      while (i < src.length && src[i] !== c && src[i] !== "\n") i += src[i] === "\\" ? 2 : 1;
      i++;
      last = "x";
    } else if (c === "`" || (c === "}" && templates.at(-1) === 0)) {
      if (c === "}") templates.pop();
      i = skipTemplate(i + 1);
      last = "x";
    } else if (c === "/" && /(^|[(,=:[!&|?{};+\-*%<>~^]|\b(return|typeof|case|in|of|void|throw|await))$/.test(last)) {
      let inClass = false;
      for (i++; i < src.length && src[i] !== "\n"; i++) {
        if (src[i] === "\\") i++;
        else if (src[i] === "[") inClass = true;
        else if (src[i] === "]") inClass = false;
        else if (src[i] === "/" && !inClass) break;
      }
      i++;
      last = "x";
    } else if (/\s/.test(c)) i++;
    else {
      if (templates.length && c === "{") templates[templates.length - 1]!++;
      if (templates.length && c === "}") templates[templates.length - 1]!--;
      const word = /^[\w$]+/.exec(src.slice(i, i + 40))?.[0];
      last = word ?? c;
      i += word?.length ?? 1;
    }
  }
  return out;
}

/** Section numbers of a docs file: headings ("### 4.2 …") and numbered list items under them ("11.16"). */
function sections(doc: string): Set<string> {
  const found = new Set<string>();
  let current = "";
  for (const line of readFileSync(join(ROOT, doc), "utf8").split("\n")) {
    const heading = /^#{2,4} (\d+(?:\.\d+)*)\.? /.exec(line);
    if (heading) found.add((current = heading[1]!));
    const item = /^\s{0,3}(\d+)\. /.exec(line);
    if (item && current) found.add(`${current}.${item[1]}`);
  }
  return found;
}

const PATH = /(?<![\w@$/.-])((?:docs|src)\/[\w./-]*[\w/])/g;
const CITE = /(?<![\w/-])(docs\/[\w-]+\.md)((?:(?:\s*(?:,|–|-|\/|and|or)\s*|\s)§\d+(?:\.\d+)*)+)/g;

const problems: string[] = [];
const sectionCache = new Map<string, Set<string>>();
const files = sourceFiles();
for (const file of files) {
  const src = readFileSync(join(ROOT, file), "utf8");
  let from = 0;
  for (const comment of comments(file, src)) {
    const start = src.indexOf(comment, from);
    from = start + comment.length;
    const line = (at: number) => src.slice(0, start + at).split("\n").length;
    for (const m of comment.matchAll(PATH)) {
      const clean = m[1]!.replace(/\.+$/, "");
      if (!existsSync(join(ROOT, clean))) problems.push(`${file}:${line(m.index)}: ${clean} does not exist`);
    }
    for (const m of comment.matchAll(CITE)) {
      const [, doc, cited] = m;
      if (!existsSync(join(ROOT, doc!))) continue; // reported above
      if (!sectionCache.has(doc!)) sectionCache.set(doc!, sections(doc!));
      for (const [, n] of cited!.matchAll(/§(\d+(?:\.\d+)*)/g))
        if (!sectionCache.get(doc!)!.has(n!)) problems.push(`${file}:${line(m.index)}: ${doc} has no §${n}`);
    }
  }
}

describe("references in comments", () => {
  test("the scan reads the comments of every source folder", () => {
    expect(files.length).toBeGreaterThan(300);
    const placeholder = "$" + "{b /* c */}"; // a template literal's placeholder, written out in the sample source
    const sample = `const a = "// no" + \`/* ${placeholder} */\`; // d\n/* e */ const r = /\\/*x/;`;
    expect(comments("a.ts", sample)).toEqual(["/* c */", "// d", "/* e */"]);
  });

  test("every docs/ and src/ path and every cited docs section exists", () => {
    expect(problems).toEqual([]);
  });
});
