/**
 * What the demo prints at the end: pages, elements found by category, files by output, time —
 * read from the results ZIP itself.
 */
import { statSync } from "node:fs";
import { strFromU8 } from "fflate";
import { readZipEntries } from "../shared/zip/read-entries.ts";
import { categoryByLabel, fileNamePrefix } from "../processor/categories.ts";

export interface ResultSummary {
  pages: number;
  elements: number;
  byCategory: Record<string, number>;
  filesByFolder: Record<string, number>;
  bytes: number;
}

/** Reads the archive once as a stream: every file is counted by folder, only the ALTO files are inflated. */
export async function summariseResultZip(path: string): Promise<ResultSummary> {
  const filesByFolder: Record<string, number> = {};
  const byCategory: Record<string, number> = {};
  let pages = 0;
  let elements = 0;
  const alto = await readZipEntries(
    Bun.file(path),
    (name) => {
      const folder = name.includes("/") ? name.slice(0, name.indexOf("/")) : ".";
      filesByFolder[folder] = (filesByFolder[folder] ?? 0) + 1;
      return folder === "alto" && name.endsWith(".xml");
    },
    2 ** 31,
  );
  for (const data of alto.values()) {
    pages++;
    const xml = strFromU8(data);
    // Each non-text element is a ComposedBlock whose TYPE is its English category label (docs/processor.md §4.1.2).
    for (const m of xml.matchAll(/<ComposedBlock\b[^>]*\bTYPE="([^"]*)"/g)) {
      elements++;
      const category = decodeXml(m[1]!);
      byCategory[category] = (byCategory[category] ?? 0) + 1;
    }
  }
  return { pages, elements, byCategory, filesByFolder, bytes: statSync(path).size };
}

function decodeXml(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

export function formatSummary(s: ResultSummary, output: string, seconds: number): string {
  const cats = Object.entries(s.byCategory).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  // A category by its name (the ALTO TYPE), with the id prefix its crop files carry: "Graph 1 (chart_*)".
  const named = ([label, n]: [string, number]) => {
    const c = categoryByLabel(label);
    return `${label} ${n}${c ? ` (${fileNamePrefix(c)}*)` : ""}`;
  };
  const lines = [
    `results: ${output} (${(s.bytes / 1024).toFixed(0)} KiB)`,
    `pages: ${s.pages}`,
    `elements: ${s.elements}${cats.length ? ` — ${cats.map(named).join(", ")}` : ""}`,
    `files: ${Object.entries(s.filesByFolder)
      .map(([f, n]) => `${f}/ ${n}`)
      .join(", ")}`,
    `time: ${seconds.toFixed(1)} s`,
  ];
  return lines.join("\n");
}
