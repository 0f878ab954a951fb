/**
 * Names that come from the server (image names, engine ids, timestamps) become file names only
 * after these checks: one path component, no separators, no control characters, not `.`/`..`,
 * and the joined path must stay inside its directory.
 */
import { isAbsolute, join, relative, resolve, sep } from "node:path";

export class UnsafeNameError extends Error {
  constructor(what: string, name: string) {
    super(`${what} ${JSON.stringify(name)} cannot be used as a file name`);
    this.name = "UnsafeNameError";
  }
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** `dir/name` for a single, safe path component `name`; throws UnsafeNameError otherwise. */
export function safeChild(dir: string, name: string, what = "name"): string {
  if (!name || name === "." || name === ".." || name.includes("/") || name.includes("\\") || CONTROL.test(name) || name.length > 255) {
    throw new UnsafeNameError(what, name);
  }
  const full = join(dir, name);
  if (!isInside(dir, full)) throw new UnsafeNameError(what, name);
  return full;
}

/** True when `path` is `dir` itself or below it (after resolving `..`). */
export function isInside(dir: string, path: string): boolean {
  const rel = relative(resolve(dir), resolve(path));
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel) && !rel.split(sep).includes(".."));
}

/** Python `os.path.splitext(name)[0]`: `img1.png`→`img1`, `a.b.tif`→`a.b`, `.hidden`→`.hidden`. */
export function stem(name: string): string {
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return name;
  // A name made only of leading dots plus the extension keeps its leading dots (".hidden").
  if (/^\.+$/.test(name.slice(0, dot))) return name;
  return name.slice(0, dot);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(s: string): boolean {
  return UUID.test(s);
}

/** A server timestamp as a directory-name piece: `2026-11-28T15:35:38.060400` (no zone, safe chars only). */
export function timestampForName(ts: string): string {
  const t = ts.trim().replace(/(Z|[+-]\d\d:?\d\d)$/i, "");
  if (!/^[0-9T:.-]{10,40}$/.test(t)) throw new UnsafeNameError("timestamp", ts);
  return t;
}
