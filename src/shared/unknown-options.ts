import type { ArgsDef } from "citty";

/** Flags citty would silently accept although they mean nothing here (typos). */
export function unknownOptions(rawArgs: string[], defs: ArgsDef): string[] {
  const known = new Set<string>();
  for (const [name, def] of Object.entries(defs)) {
    known.add(name);
    for (const a of ([] as string[]).concat(("alias" in def ? def.alias : undefined) ?? [])) known.add(a);
  }
  const bad: string[] = [];
  for (const a of rawArgs) {
    if (a === "--") break;
    if (!a.startsWith("--")) continue;
    const name = a.slice(2).split("=")[0]!;
    const plain = name.startsWith("no-") && known.has(name.slice(3)) ? name.slice(3) : name;
    if (!known.has(plain)) bad.push(`unknown option --${name}`);
  }
  return bad;
}
