/** How to run this very program again as a child process: the compiled binary, or `bun src/cli.ts`. */
import { resolve } from "node:path";

/** True inside a `bun build --compile` executable. */
function isCompiled(): boolean {
  return import.meta.url.includes("$bunfs") || import.meta.path.startsWith("/$bunfs") || import.meta.url.includes("~BUN");
}

/** argv prefix that runs `annopage` (append the subcommand and its flags). */
export function selfCommand(): string[] {
  return isCompiled() ? [process.execPath] : [process.execPath, resolve(import.meta.dir, "..", "cli.ts")];
}
