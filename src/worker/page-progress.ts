/**
 * Pages finished in a job, counted per job (not per processor process): a processor may run its
 * pages in several child processes (`--process-count`), each logging `DONE i/n` against its own
 * share, and ours reports every page twice (the reference log line on stderr, the PAGE line on
 * stdout). A page counts once, by its id, whichever line names it first; the total is the job's
 * page count. Lines that name no page count as one page each (never beyond the total).
 */
import { parseProgress } from "./processor.ts";

/** The reference's failure record for a page (docs/processor.md §1.5). */
const REFERENCE_FAILED = /\bFailed to process file '(.*)'\.\s*$/;

export interface FinishedPage {
  /** Pages finished in the job so far, this one included (1-based, in finishing order). */
  done: number;
  total: number;
  pageId?: string;
  failed: boolean;
}

export class PageTally {
  private readonly seen = new Set<string>();
  private unnamed = 0;

  constructor(readonly total: number) {}

  get done(): number {
    return Math.min(this.total, this.seen.size + this.unnamed);
  }

  get fraction(): number {
    return this.total > 0 ? this.done / this.total : 0;
  }

  /** A processor output line; the page it finishes when it is the first word of that page, else null. */
  add(line: string): FinishedPage | null {
    const failedId = REFERENCE_FAILED.exec(line)?.[1];
    const p = failedId === undefined ? parseProgress(line) : { pageId: failedId, failed: true };
    if (!p || this.done >= this.total) return null;
    if (p.pageId === undefined || p.pageId === "") this.unnamed++;
    else if (this.seen.has(p.pageId)) return null;
    else this.seen.add(p.pageId);
    return { done: this.done, total: this.total, pageId: p.pageId || undefined, failed: p.failed === true };
  }
}
