/**
 * Where the client commands find the server: `--api-url` / `--api-key`, else ANNOPAGE_API_URL /
 * ANNOPAGE_API_KEY. The retry budget of the CLI is larger than the connector's default so that a
 * server restart (a few seconds) does not fail a long upload: about half a minute of backoff
 * (ANNOPAGE_RETRIES sets the number of attempts).
 */
import { ApiClient, type RetryPolicy } from "./api.ts";

const CLIENT_USER_AGENT = "AnnoPageClient/1.0";

const CLI_RETRY: RetryPolicy = { attempts: 10, baseDelayMs: 250, maxDelayMs: 8000 };

export const connectionArgs = {
  "api-url": { type: "string", description: "API base URL (or ANNOPAGE_API_URL)" },
  "api-key": { type: "string", description: "API key (or ANNOPAGE_API_KEY)" },
} as const;

export interface Connection {
  apiUrl: string;
  apiKey: string;
}

/** Resolves URL and key; missing or malformed values are appended to `problems`. */
export function resolveConnection(
  args: { "api-url"?: string; "api-key"?: string },
  problems: string[],
  env: Record<string, string | undefined> = process.env,
): Connection | undefined {
  const apiUrl = args["api-url"] || env.ANNOPAGE_API_URL || "";
  const apiKey = args["api-key"] || env.ANNOPAGE_API_KEY || "";
  const before = problems.length;
  if (!apiUrl) problems.push("--api-url URL is required (or set ANNOPAGE_API_URL)");
  else {
    try {
      const u = new URL(apiUrl);
      if (u.protocol !== "http:" && u.protocol !== "https:") problems.push(`--api-url must be an http:// or https:// URL, got "${apiUrl}"`);
    } catch {
      problems.push(`--api-url is not a URL: "${apiUrl}"`);
    }
  }
  if (!apiKey) problems.push("--api-key KEY is required (or set ANNOPAGE_API_KEY)");
  return problems.length === before ? { apiUrl, apiKey } : undefined;
}

/** ANNOPAGE_RETRIES overrides the number of attempts per request (1 = no retries). */
function retryFromEnv(env: Record<string, string | undefined> = process.env): Partial<RetryPolicy> {
  const n = Number(env.ANNOPAGE_RETRIES);
  return env.ANNOPAGE_RETRIES && Number.isInteger(n) && n >= 1 ? { attempts: n } : {};
}

export function connect(
  c: Connection,
  opts: { retry?: Partial<RetryPolicy>; onRetry?: ConstructorParameters<typeof ApiClient>[0]["onRetry"] } = {},
): ApiClient {
  return new ApiClient({
    apiUrl: c.apiUrl,
    apiKey: c.apiKey,
    userAgent: CLIENT_USER_AGENT,
    retry: { ...CLI_RETRY, ...retryFromEnv(), ...opts.retry },
    onRetry: opts.onRetry,
  });
}
