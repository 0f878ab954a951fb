/**
 * Small helpers over @xmldom/xmldom shared by the processor's ALTO/PAGE reader (processor/alto/read.ts) and the
 * server's reading of result ALTO elements (alto-elements.ts): parse with one clear error, elements by local name,
 * numeric attributes.
 */
import { type Document, DOMParser, type Element } from "@xmldom/xmldom";

export function parse(xml: string, what: string): Element {
  let failed: string | null = null;
  let doc: Document;
  try {
    doc = new DOMParser({
      onError: (level, msg) => {
        if (level !== "warning" && !failed) failed = msg;
      },
    }).parseFromString(xml, "text/xml");
  } catch (e) {
    throw new Error(`${what} is not well-formed XML: ${String((e as Error).message).split("\n")[0]}`);
  }
  const root = doc.documentElement as unknown as Element | null;
  if (failed || !root) throw new Error(`${what} is not well-formed XML${failed ? `: ${String(failed).split("\n")[0]}` : ""}`);
  return root;
}

export function byLocal(parent: Element, local: string): Element[] {
  return Array.from(parent.getElementsByTagNameNS("*", local) as unknown as Element[]);
}

export function num(e: Element, a: string): number | null {
  const v = e.getAttribute(a);
  if (v === null || v.trim() === "") return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}
