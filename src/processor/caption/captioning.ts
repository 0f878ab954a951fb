/**
 * Image captioning through an OpenAI-compatible chat-completions API (docs/processor.md §3.6):
 * crop → prompt (Jinja template with page metadata) → request with the reference's exact body →
 * strict 8-key JSON answer → MODS caption/description/topics/colour per language.
 * Retries: up to MAX_ATTEMPTS rounds over the elements still without an answer, with exponential
 * backoff between rounds (RETRY_BACKOFF_MS · 2^round, or the server's Retry-After). Deviations
 * (recommended by the spec): a non-200 status, a schema-invalid answer and a network error count
 * as failed attempts instead of crashing the page; a category without a template is skipped with a
 * warning. A page whose captioning fails keeps its detections.
 */
import { cropRgba, encodeJpeg, resizeRgba, type RgbaImage } from "../../media/index.ts";
import type { PromptSettings } from "../config/section-reader.ts";
import { passesFilter } from "../categories.ts";
import { elements, polygonBBox, setModel, type ElementRegion, type Layout } from "../layout.ts";
import type { Logger } from "../log.ts";
import { renderTemplate } from "../../python-compat/jinja.ts";
import { addUsage, type Usage } from "../usage.ts";
import { exponentialDelay, sleep } from "../../shared/retry.ts";
import { postChat } from "./llm-http.ts";

export const ENGINE_NAME = "OpenAICompletionsImageCaptioningEngine";

/** An OPENAI_COMPLETIONS_IMAGE_CAPTIONING section (src/processor/methods/image-captioning.ts). */
export interface CaptioningSpec {
  kind: "captioning";
  name: string;
  apiUrl: string;
  apiKey: string;
  prompt: PromptSettings;
  categories: string[] | null;
  maxImageSize: number | undefined;
  numProcesses: number;
  maxAttempts: number;
  onlyPreparePrompts: boolean;
  retryBackoffMs: number;
  timeoutMs: number;
}

const nullableString = { anyOf: [{ type: "string" }, { type: "null" }] };
const topics = { anyOf: [{ type: "string" }, { items: { type: "string" }, type: "array" }, { type: "null" }] };
/** PromptResult schema as the reference generates it (property order as listed in docs/processor.md §3.6.2). */
const PROMPT_RESULT_SCHEMA = {
  properties: {
    caption_cz: { ...nullableString, title: "Caption Cz" },
    caption_en: { ...nullableString, title: "Caption En" },
    description_cz: { ...nullableString, title: "Description Cz" },
    description_en: { ...nullableString, title: "Description En" },
    topics_cz: { ...topics, title: "Topics Cz" },
    topics_en: { ...topics, title: "Topics En" },
    color_cz: { ...nullableString, title: "Color Cz" },
    color_en: { ...nullableString, title: "Color En" },
  },
  required: ["caption_cz", "caption_en", "description_cz", "description_en", "topics_cz", "topics_en", "color_cz", "color_en"],
  title: "PromptResult",
  type: "object",
};

export interface PromptResult {
  caption_cz: string | null;
  caption_en: string | null;
  description_cz: string | null;
  description_en: string | null;
  topics_cz: string | string[] | null;
  topics_en: string | string[] | null;
  color_cz: string | null;
  color_en: string | null;
}

/** Parse `choices[0].message.content` strictly: JSON object with all eight keys of the right types. */
export function parsePromptResult(content: unknown): PromptResult | null {
  if (typeof content !== "string") return null;
  let v: unknown;
  try {
    v = JSON.parse(content);
  } catch {
    return null;
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  for (const k of PROMPT_RESULT_SCHEMA.required) {
    if (!(k in o)) return null;
    const x = o[k];
    const ok = x === null || typeof x === "string" || (k.startsWith("topics") && Array.isArray(x) && x.every((t) => typeof t === "string"));
    if (!ok) return null;
  }
  return o as unknown as PromptResult;
}

function templateFor(spec: CaptioningSpec, category: string): string | null {
  const t = spec.prompt.text;
  if (typeof t === "string") return t;
  const lc = category.toLowerCase();
  for (const [k, v] of Object.entries(t)) if (k.toLowerCase() === lc) return v;
  return t.default ?? null;
}

interface Job {
  el: ElementRegion;
  prompt: string;
  imageB64: string;
  usage: Usage;
  failed: number;
  result: PromptResult | null;
}

async function attempt(spec: CaptioningSpec, job: Job, log: Logger): Promise<number | null> {
  const body: Record<string, unknown> = {
    model: spec.prompt.model,
    messages: [
      {
        role: "user",
        content: [
          { type: "text", text: job.prompt },
          { type: "image_url", image_url: { url: `data:image/jpeg;base64,${job.imageB64}` } },
        ],
      },
    ],
    text: { format: { type: "json_schema", name: "response_schema", strict: true, schema: PROMPT_RESULT_SCHEMA } },
  };
  if (spec.prompt.maxTokens !== undefined) body.max_completion_tokens = spec.prompt.maxTokens;
  const r = await postChat(spec.apiUrl, spec.apiKey, body, spec.timeoutMs, log, `captioning of ${job.el.id}`);
  if (r.usage) addUsage(job.usage, r.usage);
  if (!r.data) return r.retryAfterMs;
  const parsed = parsePromptResult(r.data?.choices?.[0]?.message?.content);
  if (!parsed) log.warning(`captioning of ${job.el.id}: the answer is not the expected 8-key JSON object`);
  job.result = parsed;
  return null;
}

function apply(spec: CaptioningSpec, job: Job): void {
  const meta = job.el.meta!;
  const r = job.result!;
  meta.caption = { eng: r.caption_en, cze: r.caption_cz };
  meta.description = { eng: r.description_en, cze: r.description_cz };
  meta.topics = { eng: r.topics_en, cze: r.topics_cz };
  meta.color = { eng: r.color_en, cze: r.color_cz };
  meta.prompts.push(job.prompt);
  for (const role of ["image-caption-generation", "image-description-generation", "image-topics-generation", "image-color-generation"]) {
    setModel(meta.usedAiModels, role, spec.prompt.model);
  }
}

/**
 * Describe the page's elements. Returns the usage of every successfully described element by
 * region id (usage of elements that never succeed is not recorded, like the reference).
 */
export async function runCaptioning(
  spec: CaptioningSpec,
  layout: Layout,
  image: RgbaImage,
  metadata: Record<string, unknown>,
  log: Logger,
): Promise<Map<string, Usage>> {
  const jobs: Job[] = [];
  for (const el of elements(layout)) {
    if (!el.meta || !passesFilter(el.category, spec.categories)) continue;
    const bb = polygonBBox(el.polygon);
    let crop = cropRgba(image, bb.x1, bb.y1, bb.x2, bb.y2);
    if (crop.width === 0 || crop.height === 0) {
      log.warning(`element ${el.id} has an empty crop; not described`);
      continue;
    }
    const template = templateFor(spec, el.category);
    if (template === null) {
      log.warning(`[${spec.name}] no prompt template for category '${el.category}' (and no "default"); ${el.id} not described`);
      continue;
    }
    const prompt = renderTemplate(template, { ...metadata, element_category: el.category, element_caption: titleText(el) });
    if (spec.onlyPreparePrompts) {
      el.meta.prompts.push(prompt);
      continue;
    }
    const max = spec.maxImageSize;
    if (max && (crop.width > max || crop.height > max)) {
      const s = max / Math.max(crop.width, crop.height);
      crop = resizeRgba(crop, Math.max(1, Math.round(crop.width * s)), Math.max(1, Math.round(crop.height * s)));
    }
    jobs.push({ el, prompt, imageB64: encodeJpeg(crop, 95).toString("base64"), usage: {}, failed: 0, result: null });
  }
  const used = new Map<string, Usage>();
  let pending = jobs;
  for (let round = 0; round < spec.maxAttempts && pending.length > 0; round++) {
    let wait = 0;
    let next = 0;
    const workers = Array.from({ length: Math.min(spec.numProcesses, pending.length) }, async () => {
      while (next < pending.length) {
        const job = pending[next++]!;
        const ra = await attempt(spec, job, log);
        if (ra !== null) wait = Math.max(wait, ra);
      }
    });
    await Promise.all(workers);
    for (const job of pending) {
      if (job.result) {
        apply(spec, job);
        used.set(job.el.id, { ...job.usage, failed_attempts: job.failed });
      } else job.failed++;
    }
    pending = pending.filter((j) => !j.result);
    if (pending.length > 0 && round + 1 < spec.maxAttempts) await sleep(Math.max(wait, exponentialDelay(round + 1, spec.retryBackoffMs)));
  }
  for (const job of pending) log.warning(`[${spec.name}] ${job.el.id}: no valid description after ${spec.maxAttempts} attempts`);
  return used;
}

function titleText(el: ElementRegion): string | null {
  const t = el.meta?.title ?? el.meta?.captionRecord?.title;
  if (t === undefined) return null;
  return typeof t === "string" ? t : (t.eng ?? t.cze ?? null);
}
