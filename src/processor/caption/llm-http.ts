/**
 * One POST to an OpenAI-compatible chat-completions endpoint. Never throws: network errors, non-200
 * statuses and non-JSON bodies come back as a failed attempt (logged), with the server's
 * Retry-After (capped at 30 s) when it sent one.
 */
import type { Logger } from "../log.ts";
import type { Usage } from "../usage.ts";

export interface ChatAttempt {
  /** Parsed JSON body of a 200 answer, else null. */
  data: any | null;
  /** Usage reported in the answer (counters missing in it are 0), or null. */
  usage: Usage | null;
  retryAfterMs: number | null;
}

export async function postChat(
  url: string,
  apiKey: string,
  body: unknown,
  timeoutMs: number,
  log: Logger,
  what: string,
): Promise<ChatAttempt> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${apiKey}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    log.warning(`${what}: request failed: ${(e as Error).message}`);
    return { data: null, usage: null, retryAfterMs: null };
  }
  const text = await res.text().catch(() => "");
  const ra = Number(res.headers.get("retry-after"));
  const retryAfterMs = Number.isFinite(ra) && ra > 0 ? Math.min(ra, 30) * 1000 : null;
  if (res.status !== 200) {
    log.warning(`${what}: HTTP ${res.status}: ${text.slice(0, 200)}`);
    return { data: null, usage: null, retryAfterMs };
  }
  let data: any;
  try {
    data = JSON.parse(text);
  } catch {
    log.warning(`${what}: the answer is not JSON`);
    return { data: null, usage: null, retryAfterMs };
  }
  const u = data && typeof data.usage === "object" && data.usage ? data.usage : null;
  const usage = u
    ? {
        prompt_tokens: Number(u.prompt_tokens) || 0,
        completion_tokens: Number(u.completion_tokens) || 0,
        total_tokens: Number(u.total_tokens) || 0,
        cost: Number(u.cost) || 0,
      }
    : null;
  return { data, usage, retryAfterMs };
}
