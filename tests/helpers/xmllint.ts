/**
 * ALTO checks with libxml2 (the npm package libxml2-wasm: libxml2 compiled to WebAssembly, so no xmllint needs to be
 * installed): well-formedness, and validation against alto-v4-subset.xsd (a subset of the ALTO v4 schema written from
 * its structure — the official XSD is not available offline; see the header of that file). The answer reads like
 * `xmllint --noout --schema`: exit code 0 (valid), 1 (not well-formed) or 3 (invalid), and libxml2's messages.
 */
import { expect } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { XmlDocument, XmlLibError, XsdValidator } from "libxml2-wasm";

export const ALTO_SUBSET_XSD = join(import.meta.dir, "..", "fixtures", "alto-v4-subset.xsd");

const validators = new Map<string, XsdValidator>();
function validatorFor(schema: string): XsdValidator {
  let v = validators.get(schema);
  if (!v) {
    const doc = XmlDocument.fromBuffer(readFileSync(schema), { url: schema });
    v = XsdValidator.fromDoc(doc);
    doc.dispose();
    validators.set(schema, v);
  }
  return v;
}

const messages = (e: XmlLibError) => e.details.map((d) => `doc.xml:${d.line}: ${d.message.trimEnd()}\n`).join("");

export function xmllint(xml: string, schema?: string): { code: number; stderr: string } {
  let doc: XmlDocument;
  try {
    doc = XmlDocument.fromString(xml);
  } catch (e) {
    if (e instanceof XmlLibError) return { code: 1, stderr: messages(e) };
    throw e;
  }
  try {
    if (schema) validatorFor(schema).validate(doc);
    return { code: 0, stderr: "" };
  } catch (e) {
    if (e instanceof XmlLibError) return { code: 3, stderr: messages(e) };
    throw e;
  } finally {
    doc.dispose();
  }
}

/** TAGREFS tokens that name no element ID (libxml2's XSD validation does not resolve xsd:IDREFS). */
export function danglingTagRefs(xml: string): string[] {
  const ids = new Set([...xml.matchAll(/\sID="([^"]+)"/g)].map((m) => m[1]!));
  return [...xml.matchAll(/\sTAGREFS="([^"]*)"/g)].flatMap((m) => m[1]!.split(/\s+/).filter((t) => t && !ids.has(t)));
}

/** Well-formed, valid against the ALTO v4 subset schema, and every TAGREFS resolves. */
export function xmllintCheck(xml: string): void {
  const r = xmllint(xml, ALTO_SUBSET_XSD);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(danglingTagRefs(xml)).toEqual([]);
}
