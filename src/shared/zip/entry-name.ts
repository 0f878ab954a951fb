/**
 * The one check of ZIP entry names before they become paths (result archives unpacked by the client, engine archives
 * by the worker): a plain relative path with `/` separators. Refused: an empty name, an absolute path, a drive letter,
 * a backslash, a control character, a `..` component. `.` and empty components are dropped, so the joined path stays
 * inside the target directory by construction.
 */

export class UnsafeZipError extends Error {
  constructor(entry: string) {
    super(`archive entry ${JSON.stringify(entry)} would be written outside the target directory`);
    this.name = "UnsafeZipError";
  }
}

/** A ZIP entry name as its safe relative path components, or undefined. */
export function safeEntryPath(name: string): string[] | undefined {
  if (!name || /[\u0000-\u001f\\]/.test(name) || name.startsWith("/") || /^[A-Za-z]:/.test(name)) return undefined;
  const parts = name.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.length === 0 || parts.some((p) => p === "..")) return undefined;
  return parts;
}

/** `./` (or `././`): a directory entry for the target directory itself; nothing to create, nothing unsafe. */
export function isTopDirEntry(name: string): boolean {
  return /^\.\/(?:\.?\/)*$/.test(name);
}
