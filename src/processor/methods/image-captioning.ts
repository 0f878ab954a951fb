/**
 * METHOD `OPENAI_COMPLETIONS_IMAGE_CAPTIONING` (docs/processor.md §3.6; `GPT_IMAGE_CAPTIONING` is read as it, with a
 * deprecation warning): elements described by an LLM (src/processor/caption/captioning.ts). Our keys besides the
 * reference's: `RETRY_BACKOFF_MS` (default 1000) and `TIMEOUT_MS` (default 120000).
 */
import { ENGINE_NAME, runCaptioning, type CaptioningSpec } from "../caption/captioning.ts";
import { apiOf, loadPromptSettings } from "../config/section-reader.ts";
import type { ProcessingMethod } from "./method.ts";

export const imageCaptioning: ProcessingMethod<CaptioningSpec> = {
  methods: ["OPENAI_COMPLETIONS_IMAGE_CAPTIONING"],
  deprecated: ["GPT_IMAGE_CAPTIONING"],
  kind: "captioning",
  parse(r, { aliases, warnings }) {
    const { apiUrl, apiKey } = apiOf(r, aliases);
    return {
      kind: "captioning",
      name: r.s.name,
      apiUrl,
      apiKey,
      prompt: loadPromptSettings(r),
      categories: r.list("CATEGORIES", null, warnings),
      maxImageSize: r.int("MAX_IMAGE_SIZE", 1),
      numProcesses: r.int("NUM_PROCESSES", 1) ?? 1,
      maxAttempts: r.int("MAX_ATTEMPTS", 1) ?? 3,
      onlyPreparePrompts: r.bool("ONLY_PREPARE_PROMPTS", false),
      retryBackoffMs: r.int("RETRY_BACKOFF_MS", 0) ?? 1000,
      timeoutMs: r.int("TIMEOUT_MS", 1) ?? 120_000,
    };
  },
  async run(spec, page) {
    page.addUsage(ENGINE_NAME, await runCaptioning(spec, page.layout, page.image, page.metadata, page.log));
  },
};
