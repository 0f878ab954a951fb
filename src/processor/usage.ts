/**
 * LLM usage accounting and the processing-info document (docs/processor.md §4.7), extended with
 * `failed_pages` (page id → error) and `notices` (e.g. outputs that need a model we do not have).
 */
export interface Usage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  cost?: number;
  failed_attempts?: number;
}

export function addUsage(into: Usage, u: Usage): void {
  for (const [k, v] of Object.entries(u) as [keyof Usage, number][]) {
    if (typeof v === "number") into[k] = (into[k] ?? 0) + v;
  }
}

/** page id → engine name → region id → usage */
export type UsageData = Record<string, Record<string, Record<string, Usage>>>;

export interface ProcessingInfo {
  summary: {
    total: Usage;
    per_engine: Record<string, Usage>;
    per_page: Record<string, Usage>;
    per_element: Record<string, Usage>;
  };
  data: UsageData;
  failed_pages: Record<string, string>;
  notices: string[];
}

export function buildProcessingInfo(data: UsageData, failedPages: Record<string, string>, notices: string[]): ProcessingInfo {
  const summary: ProcessingInfo["summary"] = { total: {}, per_engine: {}, per_page: {}, per_element: {} };
  for (const [page, engines] of Object.entries(data)) {
    for (const [engine, els] of Object.entries(engines)) {
      for (const [region, u] of Object.entries(els)) {
        addUsage(summary.total, u);
        addUsage((summary.per_engine[engine] ??= {}), u);
        addUsage((summary.per_page[page] ??= {}), u);
        addUsage((summary.per_element[`${page}_${region}`] ??= {}), u);
      }
    }
  }
  return { summary, data, failed_pages: failedPages, notices };
}
