/**
 * What the demo prints at the end: pages, elements found by category, files by output, time —
 * read from the results ZIP itself.
 */
import { readFileSync } from "node:fs";
import { unzipSync, strFromU8 } from "fflate";
import { categoryByLabel, fileNamePrefix } from "../processor/categories.ts";

export interface ResultSummary {
  pages: number;
  elements: number;
  byCategory: Record<string, number>;
  filesByFolder: Record<string, number>;
  bytes: number;
}

export function summariseResultZip(path: string): ResultSummary {
  const bytes = readFileSync(path);
  const files = unzipSync(bytes);
  const filesByFolder: Record<string, number> = {};
  const byCategory: Record<string, number> = {};
  let pages = 0;
  let elements = 0;
  for (const [name, data] of Object.entries(files)) {
    if (name.endsWith("/")) continue;
    const folder = name.includes("/") ? name.slice(0, name.indexOf("/")) : ".";
    filesByFolder[folder] = (filesByFolder[folder] ?? 0) + 1;
    if (folder === "alto" && name.endsWith(".xml")) {
      pages++;
      const xml = strFromU8(data);
      // Each non-text element is a ComposedBlock whose TYPE is its English category label (annopage-tool §4.1.2).
      for (const m of xml.matchAll(/<ComposedBlock\b[^>]*\bTYPE="([^"]*)"/g)) {
        elements++;
        const category = decodeXml(m[1]!);
        byCategory[category] = (byCategory[category] ?? 0) + 1;
      }
    }
  }
  return { pages, elements, byCategory, filesByFolder, bytes: bytes.length };
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
