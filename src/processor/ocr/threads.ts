/**
 * How many threads read one page. `auto`: the cores that are idle now (their count less the last minute's load),
 * shared by the run's page processes, at most 4 (a page rarely has more big text blocks worth spreading), at least 1.
 */
import { availableParallelism, loadavg } from "node:os";

export function ocrThreads(setting: number | "auto", processCount: number, cores = availableParallelism(), load = loadavg()[0]!): number {
  if (setting !== "auto") return setting;
  const idle = Math.max(1, cores - Math.round(load));
  return Math.max(1, Math.min(4, Math.floor(idle / Math.max(1, processCount))));
}
