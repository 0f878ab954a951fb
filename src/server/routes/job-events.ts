/**
 * `GET /v1/jobs/events` (extension, docs/decisions.md §11): the caller's job changes as Server-Sent Events, for the dashboard's
 * live job list. Same keys and visibility as `GET /v1/jobs`: a user or readonly key gets its own jobs, an admin key
 * every job. Each `job` event carries one item in the user view of the job list (no technical log). The server polls
 * once per process for all watchers (server/jobs/job-changes.ts); a comment line every KEEP_ALIVE_MS keeps proxies from closing
 * an idle stream; the stream ends when the client goes away, the server stops, or the key no longer authenticates
 * with the same role (checked every KEY_RECHECK_MS, through the key cache).
 */
import type { KeyRow } from "../../db/keys.ts";
import type { JobRow } from "../../db/jobs.ts";
import type { AppDeps } from "../context.ts";
import { providedKey, verifyKey } from "../middleware/auth.ts";
import { defineRoute } from "../route.ts";
import { jobListItem } from "../views/jobs.ts";

const KEEP_ALIVE_MS = 15_000;
/** How often an open stream checks its key again: a key disabled, rotated or given another role ends its streams. */
const KEY_RECHECK_MS = 5_000;

const visibleTo = (key: KeyRow, job: JobRow) => key.role === "admin" || job.owner_key_id === key.id;

/** One SSE frame. `data` is JSON (one line), so no line of it can end the frame early. */
const sseFrame = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

export const jobEventRoutes = (deps: AppDeps) => [
  defineRoute({
    method: "GET",
    path: "/v1/jobs/events",
    roles: ["readonly", "user"],
    doc: {
      tag: "User",
      summary: "Job changes as Server-Sent Events",
      description:
        "A `text/event-stream` that stays open: first an `event: ready`, then an `event: job` whose `data` is the " +
        "changed job as an item of `GET /v1/jobs` (user view, without the technical log) each time one of your jobs " +
        "(every job for admin keys) changes state, progress or user log; a `: keep-alive` comment every 15 seconds. " +
        "Changes are noticed within about a second. Start from `GET /v1/jobs`, then apply the events.",
      responses: { 200: { content: "text/event-stream", description: "The event stream" } },
    },
    handler: ({ c, key }) => {
      const encoder = new TextEncoder();
      let end = () => {};
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          const send = (text: string) => {
            try {
              controller.enqueue(encoder.encode(text));
            } catch {
              end();
            }
          };
          const signal = c.req.raw.signal;
          const unsubscribe = deps.jobChanges.subscribe({
            onJob: (job) => {
              if (visibleTo(key, job)) send(sseFrame("job", jobListItem(job, "user")));
            },
            onClose: () => end(),
          });
          const keepAlive = setInterval(() => send(": keep-alive\n\n"), KEEP_ALIVE_MS);
          const provided = providedKey(c)!;
          const recheck = setInterval(() => {
            verifyKey(deps, provided)
              .then((now) => (!now?.active || now.role !== key.role) && end())
              .catch(() => {}); // the database is away: keep the stream, check again later
          }, KEY_RECHECK_MS);
          end = () => {
            end = () => {};
            unsubscribe();
            clearInterval(keepAlive);
            clearInterval(recheck);
            signal.removeEventListener("abort", onAbort);
            try {
              controller.close();
            } catch {
              // already closed by the client
            }
          };
          const onAbort = () => end();
          signal.addEventListener("abort", onAbort);
          send(`retry: 3000\n${sseFrame("ready", { role: key.role })}`);
        },
        cancel() {
          end();
        },
      });
      return new Response(stream, {
        headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache, no-store", "x-accel-buffering": "no" },
      });
    },
  }),
];
