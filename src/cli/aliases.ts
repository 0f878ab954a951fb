/**
 * The reference's installed program names work as aliases: `annopage_client` → `annopage submit`
 * (with the reference client's defaults), `annopage_worker` → `annopage work`, `annopage_api` →
 * `annopage serve`. The compiled binary looks at the name it was started under (a symlink named
 * `annopage_client`), the bin/ scripts pass their name explicitly.
 */
import { basename } from "node:path";

const ALIASES: Record<string, readonly string[]> = {
  annopage_client: ["submit", "--reference-client"],
  annopage_worker: ["work"],
  annopage_api: ["serve"],
};

/** `/usr/bin/annopage_client`, `annopage_client.exe`, `bin/annopage_client.ts` → `annopage_client`. */
export function programName(path: string | undefined): string {
  return basename(path ?? "").replace(/\.(exe|ts|js|mjs|cjs)$/i, "");
}

/** The arguments `annopage` should run for a program started as `invokedAs` (first match wins). */
export function aliasedArgs(invokedAs: readonly (string | undefined)[], rawArgs: string[]): string[] {
  for (const name of invokedAs) {
    const prefix = ALIASES[programName(name)];
    if (prefix) return [...prefix, ...rawArgs];
  }
  return rawArgs;
}
