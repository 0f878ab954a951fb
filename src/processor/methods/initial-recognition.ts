/**
 * METHOD `INITIAL_RECOGNITION` (docs/processor.md §3.7): the letters of decorated initials read by an LLM
 * (src/processor/caption/initials.ts). Keys `RETRY_BACKOFF_MS` (default 1000) and `TIMEOUT_MS` (default 120000) as for
 * captioning.
 */
import { INITIAL_ENGINE_NAME, runInitialRecognition, type InitialSpec } from "../caption/initials.ts";
import { apiOf, loadPromptSettings } from "../config/section-reader.ts";
import type { ProcessingMethod } from "./method.ts";

export const initialRecognition: ProcessingMethod<InitialSpec> = {
  methods: ["INITIAL_RECOGNITION"],
  kind: "initials",
  parse(r, { aliases, warnings }) {
    const { apiUrl, apiKey } = apiOf(r, aliases);
    const prompt = loadPromptSettings(r);
    return {
      kind: "initials",
      name: r.s.name,
      apiUrl,
      apiKey,
      prompt: { model: prompt.model, text: prompt.text },
      categories: r.list("CATEGORIES", ["initial"], warnings) ?? ["initial"],
      maxAttempts: r.int("MAX_ATTEMPTS", 1) ?? 3,
      retryBackoffMs: r.int("RETRY_BACKOFF_MS", 0) ?? 1000,
      timeoutMs: r.int("TIMEOUT_MS", 1) ?? 120_000,
    };
  },
  async run(spec, page) {
    page.addUsage(INITIAL_ENGINE_NAME, await runInitialRecognition(spec, page.layout, page.image, page.log));
  },
};
