/**
 * xmltodict-style comparison of two XML documents, as the reference tests compare ALTO
 * (docs/processor.md §6): qualified names as keys, attributes (incl. xmlns declarations) as `@name`,
 * trimmed text as `#text`, repeated siblings as lists compared as multisets.
 */
import { DOMParser, type Element } from "@xmldom/xmldom";

type Dict = { [k: string]: unknown };

function toDict(el: Element): unknown {
  const d: Dict = {};
  for (let i = 0; i < el.attributes.length; i++) {
    const a = el.attributes.item(i)!;
    d[`@${a.name}`] = a.value;
  }
  let text = "";
  for (let c = el.firstChild; c; c = c.nextSibling) {
    if (c.nodeType === 1) {
      const child = c as Element;
      const v = toDict(child);
      const k = child.tagName;
      if (k in d) {
        const cur = d[k];
        d[k] = Array.isArray(cur) && (cur as any).__list ? [...cur, v] : [cur, v];
        (d[k] as any).__list = true;
      } else d[k] = v;
    } else if (c.nodeType === 3 || c.nodeType === 4) text += c.nodeValue ?? "";
  }
  text = text.trim();
  const keys = Object.keys(d);
  if (keys.length === 0) return text.length ? text : null;
  if (text.length) d["#text"] = text;
  return d;
}

function canon(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canon).sort().join(",")}]`;
  const o = v as Dict;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canon(o[k])}`)
    .join(",")}}`;
}

export function xmlDict(xml: string): unknown {
  const doc = new DOMParser().parseFromString(xml, "text/xml");
  return { [doc.documentElement!.tagName]: toDict(doc.documentElement as unknown as Element) };
}

/** First path where two dict forms differ (for readable failures), or null. */
export function firstDifference(a: unknown, b: unknown, path = ""): string | null {
  if (canon(a) === canon(b)) return null;
  if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a as Dict),
      kb = Object.keys(b as Dict);
    for (const k of new Set([...ka, ...kb])) {
      const d = firstDifference((a as Dict)[k], (b as Dict)[k], `${path}/${k}`);
      if (d) return d;
    }
  }
  return `${path}: ${canon(a).slice(0, 300)} != ${canon(b).slice(0, 300)}`;
}
