/**
 * Local inputs of `annopage submit`: the images directory (naturally ordered), the matching ALTO or
 * PAGE files (matched by file stem, `<stem>.xml`), and the metadata JSON. Everything is checked
 * before a job is created and every problem is collected, so the user sees the whole list at once.
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import { naturalSort } from "./natural-sort.ts";
import { FORMAT_NAMES, sniffImageFormat, type ImageFormat } from "../media/format.ts";

/** Extensions the reference client collects (case-insensitive), plus WebP and GIF, which the server decodes too. */
const IMAGE_EXTENSIONS = [".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp", ".gif"] as const;

/** The server refuses image names longer than this (docs/decisions.md §2: the fix of docs/protocol.md §11.11). */
const MAX_NAME_LENGTH = 300;

export interface InputImage {
  /** File name, also the image name in the job. */
  name: string;
  /** File name without its last extension; the key that matches ALTO/PAGE files. */
  stem: string;
  order: number;
  path: string;
  size: number;
  altoPath?: string;
  pagePath?: string;
}

export interface SubmitInputs {
  images: InputImage[];
  altoRequired: boolean;
  pageRequired: boolean;
  metadata?: { path: string; value: unknown };
  totalBytes: number;
}

export interface InputOptions {
  imagesDir?: string;
  altoDir?: string;
  pageDir?: string;
  metadataFile?: string;
}

export function stemOf(name: string): string {
  const ext = extname(name);
  return ext ? name.slice(0, -ext.length) : name;
}

function isImageName(name: string): boolean {
  return (IMAGE_EXTENSIONS as readonly string[]).includes(extname(name).toLowerCase());
}

/** Recognises the formats the server can decode from their first bytes (the server's own sniffer). */
export function sniffImage(head: Uint8Array): ImageFormat | undefined {
  return sniffImageFormat(head)?.format;
}

function errText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err?.code === "ENOENT") return "no such file (or a broken link)";
  if (err?.code === "EACCES" || err?.code === "EPERM") return "permission denied";
  if (err?.code === "EISDIR") return "is a directory";
  return err?.message ?? String(e);
}

/** Opens the file and reads its first bytes: the only reliable "is it readable" test. */
function readHead(path: string, n = 18): { head: Uint8Array; size: number } {
  const fd = openSync(path, "r");
  try {
    const size = statSync(path).size;
    const head = new Uint8Array(Math.min(n, size));
    if (head.length) readSync(fd, head, 0, head.length, 0);
    return { head, size };
  } finally {
    closeSync(fd);
  }
}

function listDir(dir: string, what: string, problems: string[]): string[] | undefined {
  try {
    if (!statSync(dir).isDirectory()) {
      problems.push(`${what} ${dir} is not a directory`);
      return undefined;
    }
    return readdirSync(dir);
  } catch (e) {
    problems.push(`${what} ${dir}: ${errText(e)}`);
    return undefined;
  }
}

/** Map `<stem>` → path for the `<stem>.xml` files of an ALTO/PAGE directory (extension case-insensitive). */
function xmlByStem(dir: string, what: string, problems: string[]): Map<string, string> | undefined {
  const names = listDir(dir, what, problems);
  if (!names) return undefined;
  const map = new Map<string, string>();
  for (const n of naturalSort(names)) {
    if (extname(n).toLowerCase() !== ".xml") continue;
    const stem = stemOf(n);
    // An exact `<stem>.xml` wins over `<stem>.XML`.
    if (!map.has(stem) || extname(n) === ".xml") map.set(stem, join(dir, n));
  }
  return map;
}

function checkNamed(path: string, label: string, problems: string[]): number | undefined {
  try {
    const { size } = readHead(path);
    if (size === 0) {
      problems.push(`${label} ${path} is empty`);
      return undefined;
    }
    return size;
  } catch (e) {
    problems.push(`cannot read ${label} ${path}: ${errText(e)}`);
    return undefined;
  }
}

/**
 * Checks every input and returns them, or the full list of problems (never both). The caller
 * turns problems into one CliError with exit code 2.
 */
export function collectInputs(opts: InputOptions): { inputs?: SubmitInputs; problems: string[] } {
  const problems: string[] = [];
  if (!opts.imagesDir) problems.push("--images DIR is required");
  if (opts.altoDir && opts.pageDir)
    problems.push("give either --alto or --page-xmls, not both (the processor accepts one kind of input layout)");

  const altoMap = opts.altoDir ? xmlByStem(opts.altoDir, "ALTO directory", problems) : undefined;
  const pageMap = opts.pageDir ? xmlByStem(opts.pageDir, "PAGE XML directory", problems) : undefined;

  const images: InputImage[] = [];
  let totalBytes = 0;
  if (opts.imagesDir) {
    const names = listDir(opts.imagesDir, "images directory", problems);
    if (names) {
      const imageNames = naturalSort(names.filter(isImageName));
      if (imageNames.length === 0) {
        problems.push(`no images in ${opts.imagesDir} (looked for ${IMAGE_EXTENSIONS.join(" ")})`);
      }
      const stems = new Map<string, string>();
      for (const name of imageNames) {
        const path = join(opts.imagesDir, name);
        const stem = stemOf(name);
        if (name.length > MAX_NAME_LENGTH) problems.push(`image name ${JSON.stringify(name)} is longer than ${MAX_NAME_LENGTH} characters`);
        // eslint-disable-next-line no-control-regex
        if (/[\u0000-\u001f\u007f\\]/.test(name))
          problems.push(`image name ${JSON.stringify(name)} contains a control character or a backslash`);
        const other = stems.get(stem);
        if (other !== undefined)
          problems.push(`images ${other} and ${name} have the same stem "${stem}" (their outputs and ALTO/PAGE files would collide)`);
        else stems.set(stem, name);

        let size = 0;
        try {
          if (statSync(path).isDirectory()) {
            problems.push(`image ${path} is a directory`);
            continue;
          }
          const r = readHead(path);
          size = r.size;
          if (size === 0) problems.push(`image ${path} is empty`);
          else if (!sniffImage(r.head)) problems.push(`image ${path} is not a ${FORMAT_NAMES} file`);
        } catch (e) {
          problems.push(`cannot read image ${path}: ${errText(e)}`);
          continue;
        }
        const image: InputImage = { name, stem, order: images.length, path, size };
        totalBytes += size;
        if (opts.altoDir && altoMap) {
          const p = altoMap.get(stem);
          if (!p) problems.push(`image ${name} has no ALTO file ${join(opts.altoDir, `${stem}.xml`)}`);
          else {
            const s = checkNamed(p, "ALTO file", problems);
            if (s !== undefined) totalBytes += s;
            image.altoPath = p;
          }
        }
        if (opts.pageDir && pageMap) {
          const p = pageMap.get(stem);
          if (!p) problems.push(`image ${name} has no PAGE XML file ${join(opts.pageDir, `${stem}.xml`)}`);
          else {
            const s = checkNamed(p, "PAGE XML file", problems);
            if (s !== undefined) totalBytes += s;
            image.pagePath = p;
          }
        }
        images.push(image);
      }
    }
  }

  let metadata: SubmitInputs["metadata"];
  if (opts.metadataFile) {
    const path = opts.metadataFile;
    try {
      const text = readFileSync(path, "utf8");
      try {
        const value = JSON.parse(text) as unknown;
        if (value === null) problems.push(`metadata ${path} is JSON null (the server needs an object, array, string, number or boolean)`);
        else metadata = { path, value };
      } catch (e) {
        problems.push(`metadata ${path} is not valid JSON: ${(e as Error).message}`);
      }
    } catch (e) {
      problems.push(`cannot read metadata ${path}: ${errText(e)}`);
    }
  }

  if (problems.length) return { problems };
  return {
    inputs: { images, altoRequired: !!opts.altoDir, pageRequired: !!opts.pageDir, metadata, totalBytes },
    problems,
  };
}

/** The problems as one message: a headline and one indented line each. */
export function formatProblems(problems: readonly string[]): string {
  const head = problems.length === 1 ? "1 problem, nothing was submitted:" : `${problems.length} problems, nothing was submitted:`;
  return [head, ...problems.map((p) => `  - ${p}`)].join("\n");
}
