/** The DOM helpers of the ALTO writer (write.ts): namespaces, an element maker bound to one namespace, child look-ups. */
import type { Document, Element } from "@xmldom/xmldom";

export const ALTO_NS = "http://www.loc.gov/standards/alto/ns-v4#";
export const MODS_NS = "http://www.loc.gov/mods/v3";
export const XLINK_NS = "http://www.w3.org/1999/xlink";
export const XSI_NS = "http://www.w3.org/2001/XMLSchema-instance";
export const XMLNS_NS = "http://www.w3.org/2000/xmlns/";

export type Attrs = Record<string, string | number | undefined>;

/** Creates elements in a fixed namespace/prefix. */
export class Maker {
  constructor(
    readonly doc: Document,
    readonly ns: string | null,
    readonly prefix: string | null,
  ) {}
  el(parent: Element | null, name: string, attrs: Attrs = {}, text?: string): Element {
    const q = this.prefix ? `${this.prefix}:${name}` : name;
    const e = this.doc.createElementNS(this.ns, q);
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined) e.setAttribute(k, String(v));
    if (text !== undefined) e.appendChild(this.doc.createTextNode(text));
    if (parent) parent.appendChild(e);
    return e;
  }
}

export function childElements(parent: Element, ns: string | null, local: string): Element[] {
  const out: Element[] = [];
  for (let c = parent.firstChild; c; c = c.nextSibling) {
    if (c.nodeType === 1 && (c as Element).localName === local && (c as Element).namespaceURI === ns) out.push(c as Element);
  }
  return out;
}

export function descendants(parent: Element, ns: string | null, local: string): Element[] {
  return Array.from(parent.getElementsByTagNameNS(ns ?? "", local) as unknown as Element[]);
}
