/**
 * Live job changes: `GET /v1/jobs/events` read with fetch (EventSource cannot send the X-API-Key header), its
 * `event: job` frames handed to `onJob`. When the stream cannot be opened or breaks, the list is polled every
 * POLL_MS instead (`onPoll` refetches) and the stream is tried again a little later.
 */
import { authHeaders, root } from "./api.ts";

export type LiveMode = "connecting" | "live" | "polling";
const POLL_MS = 5000;
const RETRY_MS = 15000;

export function watchJobs(onJob: (job: Record<string, unknown>) => void, onPoll: () => void, onMode: (m: LiveMode) => void): () => void {
  let stopped = false;
  let controller: AbortController | undefined;
  let pollTimer: ReturnType<typeof setInterval> | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  const fallback = () => {
    if (stopped) return;
    onMode("polling");
    pollTimer ??= setInterval(onPoll, POLL_MS);
    retryTimer = setTimeout(connect, RETRY_MS);
  };

  async function connect() {
    if (stopped) return;
    controller = new AbortController();
    onMode("connecting");
    try {
      const res = await fetch(`${root}/v1/jobs/events`, {
        headers: authHeaders({ accept: "text/event-stream" }),
        signal: controller.signal,
      });
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (event === "ready") {
            clearInterval(pollTimer);
            pollTimer = undefined;
            onMode("live");
            onPoll(); // whatever changed while the stream was down
          } else if (event === "job" && data) onJob(JSON.parse(data));
        }
      }
      throw new Error("stream ended");
    } catch {
      if (!stopped) fallback();
    }
  }

  void connect();
  return () => {
    stopped = true;
    controller?.abort();
    clearInterval(pollTimer);
    clearTimeout(retryTimer);
  };
}
