/**
 * Pretty XML serialisation as the reference writes it (lxml pretty_print): declaration
 * `<?xml version='1.0' encoding='utf-8'?>`, 2-space indentation, elements with only text inline,
 * whitespace-only text between elements dropped (input whitespace is not kept, docs/processor.md §4.1).
 */
import type { Element as XElement, Node as XNode } from "@xmldom/xmldom";

const ELEMENT = 1,
  TEXT = 3,
  CDATA = 4,
  PI = 7,
  COMMENT = 8;

export function escapeText(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function escapeAttr(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/\n/g, "&#10;")
    .replace(/\r/g, "&#13;")
    .replace(/\t/g, "&#9;");
}

function children(node: XNode): XNode[] {
  const out: XNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
}

function openTag(el: XElement): string {
  let s = `<${el.tagName}`;
  for (let i = 0; i < el.attributes.length; i++) {
    const a = el.attributes.item(i)!;
    s += ` ${a.name}="${escapeAttr(a.value)}"`;
  }
  return s;
}

function writeNode(node: XNode, depth: number, out: string[]): void {
  const pad = "  ".repeat(depth);
  if (node.nodeType === COMMENT) {
    out.push(`${pad}<!--${node.nodeValue ?? ""}-->`);
    return;
  }
  if (node.nodeType === PI) {
    out.push(`${pad}<?${(node as any).target} ${node.nodeValue ?? ""}?>`);
    return;
  }
  if (node.nodeType !== ELEMENT) return;
  const el = node as XElement;
  const kids = children(el);
  const hasElementKids = kids.some((k) => k.nodeType === ELEMENT || k.nodeType === COMMENT || k.nodeType === PI);
  const text = kids
    .filter((k) => k.nodeType === TEXT || k.nodeType === CDATA)
    .map((k) => k.nodeValue ?? "")
    .join("");
  if (!hasElementKids) {
    if (text.length === 0) out.push(`${pad}${openTag(el)}/>`);
    else out.push(`${pad}${openTag(el)}>${escapeText(text)}</${el.tagName}>`);
    return;
  }
  // Mixed content: non-blank text is kept in place (rare in ALTO), whitespace dropped.
  out.push(`${pad}${openTag(el)}>`);
  for (const k of kids) {
    if (k.nodeType === TEXT || k.nodeType === CDATA) {
      const t = k.nodeValue ?? "";
      if (t.trim()) out.push(`${pad}  ${escapeText(t.trim())}`);
    } else writeNode(k, depth + 1, out);
  }
  out.push(`${pad}</${el.tagName}>`);
}

/** Serialise a document element with the reference's declaration and indentation. */
export function serializePretty(root: XElement): string {
  const out: string[] = ["<?xml version='1.0' encoding='utf-8'?>"];
  writeNode(root, 0, out);
  return `${out.join("\n")}\n`;
}
