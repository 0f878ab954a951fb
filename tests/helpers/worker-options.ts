/**
 * Worker options for tests: one job (`once`), a fast poll, CPU, no cleanup, no processor time limit,
 * jobs and engines under `dir`. Each test names its server, key and processor and overrides the rest.
 */
import { join } from "node:path";
import { DEFAULTS, type WorkerOptions } from "../../src/worker/options.ts";

export function testWorkerOptions(
  base: { apiUrl: string; apiKey: string; dir: string; processor: string[] },
  overrides: Partial<WorkerOptions> = {},
): WorkerOptions {
  return {
    apiUrl: base.apiUrl,
    apiKey: base.apiKey,
    waitSeconds: 0.2,
    jobsDir: join(base.dir, "jobs"),
    enginesDir: join(base.dir, "engines"),
    cleanupJobDir: false,
    cleanupOldEngines: false,
    once: true,
    processor: base.processor,
    device: "cpu",
    loggingLevel: "INFO",
    graceSeconds: 5,
    heartbeatMs: 200,
    logFlushMs: 200,
    maxLogBytes: DEFAULTS.maxLogBytes,
    processorTimeoutMs: 0,
    ...overrides,
  };
}
