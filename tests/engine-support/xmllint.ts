/** Well-formedness (and namespace) check of an XML text with xmllint (Debian libxml2-utils). */
import { expect } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function xmllintCheck(xml: string): void {
  const dir = mkdtempSync(join(tmpdir(), "annopage-xmllint-"));
  const file = join(dir, "doc.xml");
  writeFileSync(file, xml);
  const r = Bun.spawnSync(["xmllint", "--noout", "--nonet", file], { stderr: "pipe" });
  expect(r.stderr.toString()).toBe("");
  expect(r.exitCode).toBe(0);
}
