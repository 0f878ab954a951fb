/**
 * XML uploads (docs/protocol.md §6.3, §6.4): well-formedness with a parser that never expands or fetches
 * entities (xmldom; documents that declare entities or reference external DTDs/entities are
 * refused like defusedxml does), then the ALTO/PAGE structure checks, each toggled by env.
 */
import { DOMParser, onWarningStopParsing, type Element } from "@xmldom/xmldom";
import type { ServerConfig } from "../../config.ts";

export type XmlCheckResult = { ok: true } | { ok: false; code: "XML_PARSE_ERROR" | "SCHEMA_INVALID"; reason: string };

const ALTO_NAMESPACES = [
  "http://www.loc.gov/standards/alto/ns-v2#",
  "http://www.loc.gov/standards/alto/ns-v3#",
  "http://www.loc.gov/standards/alto/ns-v4#",
];
const PAGE_NS_PREFIX = "http://schema.primaresearch.org/PAGE/gts/pagecontent/";

/** Parses XML text; returns the root element or a reason. */
function parseXml(text: string): { root: Element } | { error: string } {
  const doctype = /<!DOCTYPE[\s\S]*?(\[[\s\S]*?\])?\s*>/i.exec(text);
  if (doctype) {
    if (/<!ENTITY/i.test(doctype[0])) return { error: "entity declarations are not allowed" };
    if (/\b(SYSTEM|PUBLIC)\b/.test(doctype[0])) return { error: "external DTDs are not allowed" };
  }
  try {
    const doc = new DOMParser({ onError: onWarningStopParsing }).parseFromString(text, "application/xml");
    const root = doc.documentElement;
    if (!root) return { error: "missing root element" };
    return { root };
  } catch (e) {
    return { error: ((e as Error).message ?? "invalid XML").split("\n")[0]! };
  }
}

function hasDescendant(root: Element, names: string[]): boolean {
  const stack: Element[] = [root];
  while (stack.length) {
    const el = stack.pop()!;
    for (let n = el.firstChild; n; n = n.nextSibling) {
      if (n.nodeType === 1) {
        const child = n as Element;
        if (names.includes(child.localName ?? "")) return true;
        stack.push(child);
      }
    }
  }
  return false;
}

export function checkAlto(text: string, c: ServerConfig["altoChecks"]): XmlCheckResult {
  const p = parseXml(text);
  if ("error" in p) return { ok: false, code: "XML_PARSE_ERROR", reason: p.error };
  const root = p.root;
  const fail = (reason: string): XmlCheckResult => ({ ok: false, code: "SCHEMA_INVALID", reason });
  if (c.root && root.localName !== "alto") return fail(`root element is '${root.localName}', not 'alto'`);
  if (c.namespace && !ALTO_NAMESPACES.includes(root.namespaceURI ?? "")) return fail("root namespace is not an ALTO v2/v3/v4 namespace");
  if (c.hasLayout && !hasDescendant(root, ["Layout"])) return fail("no Layout element");
  if (c.hasPage && !hasDescendant(root, ["Page"])) return fail("no Page element");
  if (c.hasText && !hasDescendant(root, ["String", "TextLine", "TextBlock"])) return fail("no text element");
  return { ok: true };
}

export function checkPage(text: string, c: ServerConfig["pageChecks"]): XmlCheckResult {
  const p = parseXml(text);
  if ("error" in p) return { ok: false, code: "XML_PARSE_ERROR", reason: p.error };
  const root = p.root;
  const fail = (reason: string): XmlCheckResult => ({ ok: false, code: "SCHEMA_INVALID", reason });
  if (c.root && root.localName !== "PcGts") return fail(`root element is '${root.localName}', not 'PcGts'`);
  if (c.namespace && root.namespaceURI && !root.namespaceURI.startsWith(PAGE_NS_PREFIX))
    return fail("root namespace is not a PAGE namespace");
  if (c.hasPage && !hasDescendant(root, ["Page"])) return fail("no Page element");
  if (c.hasText && !hasDescendant(root, ["TextRegion", "TextLine"])) return fail("no TextRegion or TextLine element");
  return { ok: true };
}
