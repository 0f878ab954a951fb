/**
 * LLM API aliases (docs/processor.md §2.6). Deviation (recommended by the spec): the reference's
 * three aliases are built in, `--llm-api-aliases-path` adds to/overrides them, and a literal URL is
 * used as written (the reference lower-cases it, which breaks case-sensitive paths).
 */
import { readFileSync } from "node:fs";

export type AliasTable = Map<string, string>;

export function builtinAliases(): AliasTable {
  return new Map([
    ["openai", "https://api.openai.com/v1/chat/completions"],
    ["chatgpt", "https://api.openai.com/v1/chat/completions"],
    ["openrouter", "https://openrouter.ai/api/v1/chat/completions"],
    ["cerit", "https://llm.ai.e-infra.cz/v1/chat/completions"],
    ["e-infra", "https://llm.ai.e-infra.cz/v1/chat/completions"],
  ]);
}

/** Read an alias file (JSON array of {aliases: [...], urls: {completions}}) on top of the built-ins. */
export function loadAliases(path: string | undefined): AliasTable {
  const table = builtinAliases();
  if (!path) return table;
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new Error(`LLM API alias file '${path}' is not readable JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(data)) throw new Error(`LLM API alias file '${path}' must hold a JSON array`);
  for (const item of data) {
    const aliases = (item as { aliases?: unknown })?.aliases;
    const url = (item as { urls?: { completions?: unknown } })?.urls?.completions;
    if (!Array.isArray(aliases) || typeof url !== "string") continue;
    for (const a of aliases) if (typeof a === "string") table.set(a.toLowerCase(), url);
  }
  return table;
}

/** Resolve an engine's API value: a (case-insensitive) alias → its URL, else the value itself. */
export function resolveApi(value: string, table: AliasTable): string {
  return table.get(value.trim().toLowerCase()) ?? value.trim();
}
