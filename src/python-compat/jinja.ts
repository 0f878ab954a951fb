/**
 * src/python-compat/: code that exists only to match the Python reference tool byte for byte (its captioning
 * prompts are Jinja2 templates rendered with Python's value formatting); it imports nothing of the server,
 * worker, client or processor.
 *
 * A Jinja2 subset for the captioning prompts (docs/processor.md §3.6.1), with Python value
 * formatting: `{{ expr }}`, `{% if %}/{% elif %}/{% else %}/{% endif %}`, `{# comments #}`;
 * expressions with variables, string/number literals, None/True/False, `is none`, `is not none`,
 * `is defined`, `is not defined`, `==`, `!=`, `in`, `not in`, `and`, `or`, `not`, parentheses.
 * Undefined renders as "", None as "None", booleans as True/False, lists as Python literals.
 */
import { PyFloat, pyFloatRepr } from "./py-json.ts";

class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TemplateError";
  }
}

const UNDEFINED = Symbol("undefined");
type Value = unknown;

/** Python str() of a JSON-ish value. */
function pyStr(v: Value): string {
  if (v === UNDEFINED || v === undefined) return "";
  if (v === null) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (typeof v === "string") return v;
  return pyRepr(v);
}

/** A number as Python prints it: integers as such, other numbers (and whole-number floats from the metadata) as float repr. */
function pyNumber(v: number | PyFloat): string {
  if (v instanceof PyFloat) return pyFloatRepr(v.value);
  return Number.isInteger(v) ? String(v) : pyFloatRepr(v);
}

function pyRepr(v: Value): string {
  if (v === null || v === undefined || v === UNDEFINED) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (typeof v === "number" || v instanceof PyFloat) return pyNumber(v);
  if (typeof v === "string") {
    const q = v.includes("'") && !v.includes('"') ? '"' : "'";
    const body = v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/\t/g, "\\t").replace(/\r/g, "\\r");
    return q + (q === "'" ? body.replace(/'/g, "\\'") : body) + q;
  }
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(", ")}]`;
  return `{${Object.entries(v as object)
    .map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`)
    .join(", ")}}`;
}

function truthy(v: Value): boolean {
  if (v === UNDEFINED || v === undefined || v === null || v === false || v === 0 || v === "") return false;
  if (v instanceof PyFloat) return v.value !== 0;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v as object).length > 0;
  return true;
}

// ---- expression parser ------------------------------------------------------------------------

type Tok = { t: "name" | "str" | "num" | "op"; v: string };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  const re = /\s*(?:([A-Za-z_][A-Za-z0-9_]*)|('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(\d+(?:\.\d+)?)|(==|!=|<=|>=|[()<>.[\]]))/y;
  let i = 0;
  while (i < src.length) {
    if (/^\s*$/.test(src.slice(i))) break;
    re.lastIndex = i;
    const m = re.exec(src);
    if (!m) throw new TemplateError(`cannot parse expression '${src}'`);
    if (m[1]) out.push({ t: "name", v: m[1] });
    else if (m[2])
      out.push({ t: "str", v: JSON.parse(m[2][0] === "'" ? `"${m[2].slice(1, -1).replace(/"/g, '\\"').replace(/\\'/g, "'")}"` : m[2]) });
    else if (m[3]) out.push({ t: "num", v: m[3] });
    else out.push({ t: "op", v: m[4]! });
    i = re.lastIndex;
  }
  return out;
}

function evaluate(src: string, ctx: Record<string, Value>): Value {
  const toks = tokenize(src);
  let p = 0;
  const peek = () => toks[p];
  const isWord = (w: string) => peek()?.t === "name" && peek()!.v === w;
  const expect = (v: string) => {
    if (peek()?.v !== v) throw new TemplateError(`expected '${v}' in '${src}'`);
    p++;
  };
  const or = (): Value => {
    let l = and();
    while (isWord("or")) {
      p++;
      const r = and();
      l = truthy(l) ? l : r;
    }
    return l;
  };
  const and = (): Value => {
    let l = not();
    while (isWord("and")) {
      p++;
      const r = not();
      l = truthy(l) ? r : l;
    }
    return l;
  };
  const not = (): Value => {
    if (isWord("not")) {
      p++;
      return !truthy(not());
    }
    return compare();
  };
  const compare = (): Value => {
    const l = primary();
    if (isWord("is")) {
      p++;
      let neg = false;
      if (isWord("not")) {
        p++;
        neg = true;
      }
      const test = peek();
      if (test?.t !== "name") throw new TemplateError(`expected a test after 'is' in '${src}'`);
      p++;
      let r: boolean;
      if (test.v === "none") r = l === null;
      else if (test.v === "defined") r = l !== UNDEFINED;
      else if (test.v === "undefined") r = l === UNDEFINED;
      else if (test.v === "string") r = typeof l === "string";
      else throw new TemplateError(`unsupported test 'is ${test.v}'`);
      return neg ? !r : r;
    }
    const op = peek();
    if (op && (op.v === "==" || op.v === "!=")) {
      p++;
      const r = primary();
      const eq = JSON.stringify(l === UNDEFINED ? undefined : l) === JSON.stringify(r === UNDEFINED ? undefined : r);
      return op.v === "==" ? eq : !eq;
    }
    if (isWord("in") || (isWord("not") && toks[p + 1]?.v === "in")) {
      const neg = isWord("not");
      p += neg ? 2 : 1;
      const r = primary();
      const num = (x: Value) => (x instanceof PyFloat ? x.value : x);
      const has =
        typeof r === "string" ? typeof l === "string" && r.includes(l) : Array.isArray(r) ? r.some((x) => num(x) === num(l)) : false;
      return neg ? !has : has;
    }
    return l;
  };
  const primary = (): Value => {
    const t = peek();
    if (!t) throw new TemplateError(`unexpected end of expression '${src}'`);
    p++;
    let v: Value;
    if (t.t === "str") v = t.v;
    else if (t.t === "num") v = Number(t.v);
    else if (t.t === "op" && t.v === "(") {
      v = or();
      expect(")");
    } else if (t.t === "name") {
      if (t.v === "None" || t.v === "none") v = null;
      else if (t.v === "True" || t.v === "true") v = true;
      else if (t.v === "False" || t.v === "false") v = false;
      else v = Object.hasOwn(ctx, t.v) ? ctx[t.v] : UNDEFINED;
    } else throw new TemplateError(`unexpected '${t.v}' in '${src}'`);
    // attribute / item access
    while (peek()?.v === "." || peek()?.v === "[") {
      if (peek()!.v === ".") {
        p++;
        const name = peek();
        if (name?.t !== "name") throw new TemplateError(`expected a name after '.' in '${src}'`);
        p++;
        v =
          v && typeof v === "object" && !(v instanceof PyFloat) && name.v in (v as object)
            ? (v as Record<string, Value>)[name.v]
            : UNDEFINED;
      } else {
        p++;
        const k = or();
        expect("]");
        v =
          v && typeof v === "object" && !(v instanceof PyFloat) && String(k) in (v as object)
            ? (v as Record<string, Value>)[String(k)]
            : UNDEFINED;
      }
    }
    return v;
  };
  const v = or();
  if (p !== toks.length) throw new TemplateError(`unexpected '${toks[p]!.v}' in '${src}'`);
  return v;
}

// ---- template ----------------------------------------------------------------------------------

type Node = { k: "text"; s: string } | { k: "expr"; e: string } | { k: "if"; branches: { cond: string | null; body: Node[] }[] };

function parseTemplate(src: string): Node[] {
  const parts = src.split(/(\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}|\{#[\s\S]*?#\})/);
  let i = 0;
  const block = (terminators: string[]): [Node[], string | null] => {
    const nodes: Node[] = [];
    while (i < parts.length) {
      const part = parts[i++]!;
      if (part.startsWith("{{")) nodes.push({ k: "expr", e: part.slice(2, -2).trim() });
      else if (part.startsWith("{#")) continue;
      else if (part.startsWith("{%")) {
        const tag = part.slice(2, -2).trim().replace(/^-|-$/g, "").trim();
        const word = tag.split(/\s+/)[0]!;
        if (terminators.includes(word)) return [nodes, tag];
        if (word === "if") {
          const branches: { cond: string | null; body: Node[] }[] = [];
          let cond: string | null = tag.slice(2).trim();
          for (;;) {
            const [body, end] = block(["elif", "else", "endif"]);
            branches.push({ cond, body });
            if (end === null) throw new TemplateError("'if' without 'endif'");
            if (end.startsWith("endif")) break;
            cond = end.startsWith("elif") ? end.slice(4).trim() : null;
          }
          nodes.push({ k: "if", branches });
        } else throw new TemplateError(`unsupported tag '{% ${tag} %}'`);
      } else if (part) nodes.push({ k: "text", s: part });
    }
    if (terminators.length) return [nodes, null];
    return [nodes, null];
  };
  const [nodes, end] = block([]);
  if (end) throw new TemplateError(`unexpected '{% ${end} %}'`);
  return nodes;
}

function renderNodes(nodes: Node[], ctx: Record<string, Value>): string {
  let out = "";
  for (const n of nodes) {
    if (n.k === "text") out += n.s;
    else if (n.k === "expr") out += pyStr(evaluate(n.e, ctx));
    else {
      for (const b of n.branches) {
        if (b.cond === null || truthy(evaluate(b.cond, ctx))) {
          out += renderNodes(b.body, ctx);
          break;
        }
      }
    }
  }
  return out;
}

/** Render a Jinja2 template with Python value semantics. */
export function renderTemplate(template: string, ctx: Record<string, Value>): string {
  return renderNodes(parseTemplate(template), ctx);
}
