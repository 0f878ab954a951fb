/**
 * A short self warm-up before the server listens (docs/performance.md §3): a fresh process runs at about half speed until
 * JavaScriptCore has compiled its hot paths, so it first sends itself a few thousand requests through the app —
 * in memory, no socket — that go through the same code as the life cycle's requests without changing anything:
 * routing, the key check, zod validation of a job definition, JSON bodies, postgres.js queries (jobs that do not
 * exist), multipart parsing and staging of a small file (discarded), error rendering, the metrics middleware.
 *
 * The keys are made up for the warm-up and live only in the key cache (never in the database); requests for jobs
 * use random ids, so every answer is a 404 or 422 and nothing is stored. The request counters of GET /metrics are
 * reset afterwards. Bounded by WARMUP_ROUNDS (rounds of 8 requests) and by 3 s; skipped when the key cache is off
 * (KEY_CACHE_MS=0).
 *
 * Off by default: on the 2-core benchmark machine (bench/server.ts, first 400 jobs of a fresh process, fetch clients,
 * 45 s apart at load < 1) it did not measurably help — 0 rounds 132.5 and 136.3 jobs/s, 250 rounds (2000 requests,
 * +1.1 s at start) 125.3 and 130.8, 1000 rounds (3 s) 125.4; JavaScriptCore was still compiling through those 400 jobs
 * (JIT threads 0.8–1.4 ms/job) whatever the warm-up.
 */
import { consola } from "consola";
import type { KeyRow } from "../../db/keys.ts";
import { formatApiKey, generateKeyParts, hashSecret, newSalt } from "../../shared/api-key.ts";
import type { Role } from "../../shared/roles.ts";
import type { AppDeps } from "../context.ts";
import { httpRequestCounter } from "../middleware/metrics.ts";

const MAX_MS = 3000;
const IN_FLIGHT = 8;

export function warmUpRounds(env: Record<string, string | undefined> = process.env): number {
  const n = Number(env.WARMUP_ROUNDS || 0);
  return Number.isInteger(n) && n >= 0 ? Math.min(n, 100_000) : 0;
}

/** A key that exists only in this process's key cache for the warm-up. */
function cachedKey(deps: AppDeps, role: Role): { key: string; refresh(): void } {
  const { kid, secret } = generateKeyParts();
  const salt = newSalt();
  const row: KeyRow = {
    id: crypto.randomUUID(),
    kid,
    salt,
    key_hash: hashSecret(secret, salt, deps.config.hmacSecret),
    label: `warm-up-${role}`,
    role,
    active: true,
    created_date: new Date().toISOString(),
    last_used: new Date().toISOString(), // fresh: no last_used UPDATE
  };
  const refresh = () => deps.keys.set(row, deps.keys.ticket());
  refresh();
  return { key: formatApiKey(deps.config.keyPrefix, kid, secret), refresh };
}

function multipart(name: string, bytes: Uint8Array, type: string): { body: Uint8Array<ArrayBuffer>; type: string } {
  const boundary = "----annopagewarmup";
  const head = new TextEncoder().encode(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: ${type}\r\n\r\n`,
  );
  const tail = new TextEncoder().encode(`\r\n--${boundary}--\r\n`);
  const body = new Uint8Array(head.length + bytes.length + tail.length);
  body.set(head);
  body.set(bytes, head.length);
  body.set(tail, head.length + bytes.length);
  return { body, type: `multipart/form-data; boundary=${boundary}` };
}

/** Runs the warm-up through `fetch` (the app's, before it listens); returns the requests sent and the time taken. */
export async function warmUp(
  deps: AppDeps,
  fetch: (req: Request) => Response | Promise<Response>,
  rounds: number,
): Promise<{ requests: number; ms: number }> {
  if (rounds <= 0 || deps.config.keyCacheMs <= 0) return { requests: 0, ms: 0 };
  const t0 = performance.now();
  const user = cachedKey(deps, "user");
  const worker = cachedKey(deps, "worker");
  const base = "http://127.0.0.1";
  const json = (key: string, v: unknown) => ({ "x-api-key": key, "content-type": "application/json", body: JSON.stringify(v) });
  const image = multipart("page.jpg", new Uint8Array(2048).fill(7), "image/jpeg");
  const zip = multipart("result.zip", new Uint8Array(512).fill(1), "application/zip");
  const requests: (() => Request)[] = [
    () => new Request(`${base}/healthz`),
    () => new Request(`${base}/v1/jobs/${crypto.randomUUID()}`, { headers: { "x-api-key": user.key } }),
    () => new Request(`${base}/v1/jobs/${crypto.randomUUID()}`, { headers: { "x-api-key": worker.key } }),
    () => {
      // a valid definition but for its duplicate names: parsed and validated whole, then refused (422) before the database
      const { body, ...headers } = json(user.key, {
        images: [
          { name: "a.jpg", order: 0 },
          { name: "a.jpg", order: 1 },
        ],
      });
      return new Request(`${base}/v1/jobs`, { method: "POST", headers, body });
    },
    () => {
      const { body, ...headers } = json(worker.key, { state: "done" });
      return new Request(`${base}/v1/jobs/${crypto.randomUUID()}`, { method: "PATCH", headers, body });
    },
    () =>
      new Request(`${base}/v1/jobs/${crypto.randomUUID()}/images/page.jpg/files/image`, {
        method: "PUT",
        headers: { "x-api-key": user.key, "content-type": image.type },
        body: image.body,
      }),
    () =>
      new Request(`${base}/v1/jobs/${crypto.randomUUID()}/result`, {
        method: "POST",
        headers: { "x-api-key": worker.key, "content-type": zip.type },
        body: zip.body,
      }),
    () => new Request(`${base}/v1/jobs/${crypto.randomUUID()}/result`, { headers: { "x-api-key": user.key } }),
  ];
  let sent = 0;
  let next = 0;
  const total = rounds * requests.length;
  try {
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < total && performance.now() - t0 < MAX_MS) {
          const i = next++;
          if (i % 8 === 0) {
            user.refresh(); // the cache keeps an entry for KEY_CACHE_MS only
            worker.refresh();
          }
          const res = await fetch(requests[i % requests.length]!());
          await res.arrayBuffer();
          sent++;
        }
      }),
    );
  } catch (e) {
    consola.debug(`warm-up stopped: ${(e as Error).message}`);
  } finally {
    deps.keys.clear();
    httpRequestCounter(deps).reset();
  }
  return { requests: sent, ms: performance.now() - t0 };
}
