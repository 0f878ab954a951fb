/** The captioning engine in-process against a real local HTTP server (docs/processor.md §3.6). */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { runCaptioning, type CaptioningSpec } from "../../src/processor/caption/captioning.ts";
import { addDetectedElement, realIdServices, type Layout } from "../../src/processor/layout.ts";
import { createLogger } from "../../src/processor/log.ts";

const answer = (text: string) =>
  JSON.stringify({
    caption_cz: null,
    caption_en: text,
    description_cz: "popis",
    description_en: "desc",
    topics_cz: null,
    topics_en: "a, b ,c",
    color_cz: null,
    color_en: null,
  });

let server: ReturnType<typeof Bun.serve>;
let inFlight = 0;
let maxInFlight = 0;
const seen: any[] = [];
let mode: "ok" | "429-once" = "ok";
let throttled = false;

beforeAll(() => {
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const body = await req.json();
      seen.push(body);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await Bun.sleep(30);
      inFlight--;
      if (mode === "429-once" && !throttled) {
        throttled = true;
        return new Response("slow down", { status: 429, headers: { "retry-after": "1" } });
      }
      return Response.json({
        choices: [{ message: { content: answer(body.messages[0].content[0].text) } }],
        usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
      });
    },
  });
});
afterAll(() => server.stop(true));

function spec(over: Partial<CaptioningSpec> = {}): CaptioningSpec {
  return {
    kind: "captioning",
    name: "CAP",
    apiUrl: `http://127.0.0.1:${server.port}/v1/chat/completions`,
    apiKey: "k",
    prompt: { model: "m", text: { photograph: "P {{ element_category }}", image: "I {{ element_caption }}" }, maxTokens: undefined },
    categories: null,
    maxImageSize: undefined,
    numProcesses: 1,
    maxAttempts: 3,
    onlyPreparePrompts: false,
    retryBackoffMs: 10,
    timeoutMs: 10_000,
    ...over,
  };
}

function page(labels: string[]): { layout: Layout; image: { width: number; height: number; data: Uint8ClampedArray } } {
  const layout: Layout = { id: "p", width: 400, height: 300, regions: [] };
  labels.forEach((label, i) =>
    addDetectedElement(layout, { x1: 10 + i * 60, y1: 10, x2: 60 + i * 60, y2: 80, confidence: 0.8, label }, realIdServices, "t"),
  );
  return { layout, image: { width: 400, height: 300, data: new Uint8ClampedArray(400 * 300 * 4).fill(128) } };
}

const log = createLogger("CRITICAL");

describe("captioning engine", () => {
  test("ONLY_PREPARE_PROMPTS records prompts and sends nothing", async () => {
    seen.length = 0;
    const { layout, image } = page(["Photograph", "Image"]);
    const used = await runCaptioning(spec({ onlyPreparePrompts: true }), layout, image, {}, log);
    expect(seen).toHaveLength(0);
    expect(used.size).toBe(0);
    expect(layout.regions.map((r) => (r.kind === "element" ? r.meta!.prompts : []))).toEqual([["P Photograph"], ["I None"]]);
  });

  test("categories without a template (and no default) are skipped; CATEGORIES filters case-insensitively", async () => {
    seen.length = 0;
    const { layout, image } = page(["Photograph", "Table", "Image"]);
    const used = await runCaptioning(spec({ categories: ["PHOTOGRAPH", "table"] }), layout, image, {}, log);
    expect(seen.map((b) => b.messages[0].content[0].text)).toEqual(["P Photograph"]);
    expect([...used.keys()]).toEqual(["photograph_001"]);
    const el = layout.regions[0]!;
    expect(el.kind === "element" && el.meta!.topics).toEqual({ eng: "a, b ,c", cze: null });
    expect(used.get("photograph_001")).toEqual({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, cost: 0, failed_attempts: 0 });
  });

  test("NUM_PROCESSES bounds concurrent requests", async () => {
    maxInFlight = 0;
    const { layout, image } = page(["Image", "Image", "Image", "Image", "Image"]);
    await runCaptioning(spec({ numProcesses: 2 }), layout, image, {}, log);
    expect(maxInFlight).toBe(2);
  });

  test("HTTP 429 with Retry-After waits before the next round and then succeeds", async () => {
    mode = "429-once";
    throttled = false;
    const { layout, image } = page(["Image"]);
    const t = performance.now();
    const used = await runCaptioning(spec(), layout, image, {}, log);
    expect(performance.now() - t).toBeGreaterThanOrEqual(950);
    expect(used.get("image_001")!.failed_attempts).toBe(1);
    mode = "ok";
  });
});
