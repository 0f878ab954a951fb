/**
 * ALTO checks with xmllint (Debian libxml2-utils): well-formedness, and validation against
 * alto-v4-subset.xsd (a subset of the ALTO v4 schema written from its structure — the official XSD
 * is not available offline; see the header of that file).
 */
import { expect } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const ALTO_SUBSET_XSD = join(import.meta.dir, "alto-v4-subset.xsd");

export function xmllint(xml: string, schema?: string): { code: number; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), "annopage-xmllint-"));
  const file = join(dir, "doc.xml");
  writeFileSync(file, xml);
  const r = Bun.spawnSync(["xmllint", "--noout", "--nonet", ...(schema ? ["--schema", schema] : []), file], { stderr: "pipe" });
  rmSync(dir, { recursive: true, force: true });
  return { code: r.exitCode, stderr: r.stderr.toString() };
}

/** TAGREFS tokens that name no element ID (libxml2's XSD validation does not resolve xsd:IDREFS). */
export function danglingTagRefs(xml: string): string[] {
  const ids = new Set([...xml.matchAll(/\sID="([^"]+)"/g)].map((m) => m[1]!));
  return [...xml.matchAll(/\sTAGREFS="([^"]*)"/g)].flatMap((m) => m[1]!.split(/\s+/).filter((t) => t && !ids.has(t)));
}

/** Well-formed, valid against the ALTO v4 subset schema, and every TAGREFS resolves. */
export function xmllintCheck(xml: string): void {
  const r = xmllint(xml, ALTO_SUBSET_XSD);
  expect(r.stderr.replace(/^.* validates\n?$/m, "")).toBe("");
  expect(r.code).toBe(0);
  expect(danglingTagRefs(xml)).toEqual([]);
}
