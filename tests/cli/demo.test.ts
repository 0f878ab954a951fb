/**
 * The README's first command end to end: `annopage demo` starts serve on the embedded database
 * with a local worker, submits examples/ with the real client and writes a results ZIP; the ZIP
 * holds every requested output for every sample page.
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unzipSync, strFromU8 } from "fflate";
import { startCli, REPO } from "../helpers/cli.ts";

const dir = mkdtempSync(join(tmpdir(), "annopage-demo-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("demo: serve + local worker + client on examples/ produce results.zip", async () => {
  const output = join(dir, "results.zip");
  const c = startCli(["demo", "--output", output]);
  const code = await c.exited;
  if (code !== 0) console.error(c.output());
  expect(code).toBe(0);
  expect(existsSync(output)).toBe(true);

  const pages = readdirSync(join(REPO, "examples", "images"))
    .map((f) => f.replace(/\.[^.]+$/, ""))
    .sort();
  const files = Object.keys(unzipSync(readFileSync(output))).filter((n) => !n.endsWith("/"));
  // Every page has its ALTO and render; the config asked for alto, renders, crops and prompts.
  expect(files.filter((f) => f.startsWith("alto/")).sort()).toEqual(pages.map((p) => `alto/${p}.xml`));
  expect(files.filter((f) => f.startsWith("renders/")).sort()).toEqual(pages.map((p) => `renders/${p}.jpg`));
  const crops = files.filter((f) => f.startsWith("crops/"));
  expect(crops.length).toBeGreaterThan(0);
  for (const f of crops) expect(f).toMatch(/^crops\/page_\d{3}_.+\.jpg$/);
  // No processing info, log or manifest in the ZIP (docs/processor.md §7.4).
  expect(files.every((f) => /^(alto|renders|crops|image_captioning_prompts)\//.test(f))).toBe(true);

  // The figure-free text page has OCR text lines and no element; the others have elements.
  const zip = unzipSync(readFileSync(output));
  const alto003 = strFromU8(zip["alto/page_003.xml"]!);
  expect(alto003).toContain("<TextLine");
  expect(alto003).not.toContain("<ComposedBlock");
  const alto005 = strFromU8(zip["alto/page_005.xml"]!);
  expect(alto005).toContain("<ComposedBlock");

  // The summary is printed on stdout.
  expect(c.output()).toMatch(/pages: 4\n/);
  expect(c.output()).toMatch(/elements: [1-9]\d*/);
  expect(c.output()).toMatch(/time: \d+\.\d s/);
}, 300_000);
