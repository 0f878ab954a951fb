/**
 * The jobs list: filter by state, 50 per page (fetched a page at a time: GET /v1/jobs?limit=&offset=), live updates from
 * the event stream (polling when it is down): a job on the page shown is updated in place, a new job shows on page 1.
 */
import { apiPage } from "./api.ts";
import type { Me } from "./api.ts";
import { watchJobs, type LiveMode } from "./events.ts";
import { errorText, percent, STATES, when } from "./format.ts";
import { html, useCallback, useEffect, useRef, useState } from "./html.ts";

export interface JobItem {
  id: string;
  state: string;
  progress: number;
  created_date: string;
  finished_date?: string | null;
  last_change: string;
  engine_name?: string | null;
  engine_version?: string | null;
  log_user?: string | null;
  /** The job's number of pages (paged list and events). */
  page_count?: number;
}

/** "3 / 4 pages": pages done of the job's pages, as the job page counts them (a done job has done them all). */
function pagesDone(j: Pick<JobItem, "state" | "progress" | "page_count">): string {
  if (j.page_count === undefined) return "";
  const done = j.state === "done" ? j.page_count : Math.floor(j.progress * j.page_count + 1e-9);
  return `${done} / ${j.page_count} pages`;
}

const PAGE = 50;
const byCreated = (a: JobItem, b: JobItem) =>
  a.created_date < b.created_date ? 1 : a.created_date > b.created_date ? -1 : a.id < b.id ? -1 : 1;

export function StateBadge({ state }: { state: string }) {
  return html`<span class=${`state s-${state}`}>${state}</span>`;
}

export function JobsPage({ me }: { me: Me }) {
  const [state, setState] = useState("");
  const [jobs, setJobs] = useState<JobItem[] | null>(null);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState("");
  const [page, setPage] = useState(0);
  const [mode, setMode] = useState<LiveMode>("connecting");

  const load = useCallback(() => {
    const query = new URLSearchParams({ limit: String(PAGE), offset: String(page * PAGE) });
    if (state) query.set("state", state);
    apiPage<JobItem>(`/v1/jobs?${query}`)
      .then(({ items, total }) => {
        setJobs(items);
        setTotal(total);
        setError("");
      })
      .catch((e) => setError(errorText(e)));
  }, [state, page]);

  // One event stream for the page's life; the handler reads the current filter and page through a ref.
  const view = useRef({ state, page, load });
  view.current = { state, page, load };
  useEffect(() => load(), [load]);
  useEffect(
    () =>
      watchJobs(
        (changed) => {
          const job = changed as unknown as JobItem;
          const { state, page } = view.current;
          setJobs((list) => {
            if (!list) return list;
            const known = list.some((j) => j.id === job.id);
            const newer = page === 0 && (list.length === 0 || job.created_date >= list[0]!.created_date);
            if (!known && !newer) return list; // on another page
            const rest = list.filter((j) => j.id !== job.id);
            if (state && job.state !== state) return rest;
            return [...rest, job].sort(byCreated).slice(0, PAGE);
          });
          if (page === 0 && (!state || job.state === state) && job.created_date === job.last_change) setTotal((t) => t + 1); // just created
        },
        () => view.current.load(),
        setMode,
      ),
    [],
  );

  const pages = Math.max(1, Math.ceil(total / PAGE));
  const current = page;
  const shown = jobs ?? [];
  return html`<section aria-labelledby="jobs-h">
    <div class="row">
      <h1 id="jobs-h">${me.role === "admin" ? "All jobs" : "Your jobs"}</h1>
      <span class=${`live live-${mode}`} role="status" aria-live="polite">${mode === "live" ? "● live" : mode === "polling" ? "○ polling" : "… connecting"}</span>
    </div>
    <div class="row">
      <label for="state-filter">State</label>
      <select id="state-filter" value=${state} onChange=${(e: Event) => (setState((e.target as HTMLSelectElement).value), setPage(0))}>
        <option value="">all</option>
        ${STATES.map((s) => html`<option value=${s}>${s}</option>`)}
      </select>
      <span class="count">${jobs ? `${total} job${total === 1 ? "" : "s"}` : ""}</span>
    </div>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${
      jobs === null
        ? html`<p class="loading">Loading…</p>`
        : total === 0
          ? html`<p>No jobs${state ? ` in state ${state}` : ""}.${me.role !== "readonly" ? html` <a href="#/submit">Submit pages</a>.` : ""}</p>`
          : html`<table class="jobs">
            <thead><tr><th scope="col">Job</th><th scope="col">State</th><th scope="col">Engine</th><th scope="col">Pages</th><th scope="col">Created</th><th scope="col">Finished</th></tr></thead>
            <tbody>
              ${shown.map(
                (j) => html`<tr key=${j.id} data-job=${j.id}>
                  <td><a href=${`#/jobs/${j.id}`}><code>${j.id.slice(0, 8)}</code></a></td>
                  <td><${StateBadge} state=${j.state} /></td>
                  <td>${j.engine_name ? `${j.engine_name} ${j.engine_version ?? ""}` : "–"}</td>
                  <td><span class="pages-done">${pagesDone(j)}</span> <progress max="1" value=${j.progress} aria-label="progress"></progress> <span class="pct">${percent(j.progress)}</span></td>
                  <td>${when(j.created_date)}</td>
                  <td>${when(j.finished_date)}</td>
                </tr>`,
              )}
            </tbody>
          </table>
          <nav class="pager" aria-label="Pages of jobs">
            <button disabled=${current === 0} onClick=${() => setPage(current - 1)}>← Newer</button>
            <span>Page ${current + 1} of ${pages}</span>
            <button disabled=${current >= pages - 1} onClick=${() => setPage(current + 1)}>Older →</button>
          </nav>`
    }
  </section>`;
}
