/**
 * Initial recognition through an LLM (docs/processor.md §3.7): for each decorated initial, find the
 * text line it starts, send the initial and its context to the model, and record the letter(s) so
 * the ALTO can carry SUBS_CONTENT on the line's first word. Deviations (recommended by the spec):
 * an initial with no nearby/continuing line is skipped with a warning, crops are clamped to the
 * image, an error status or non-JSON answer is a failed attempt, a missing template skips the element.
 */
import { cropRgba, encodeJpeg, type RgbaImage } from "../../media/index.ts";
import { elements, polygonBBox, pyRound, setModel, textLines, type BBox, type Layout, type TextLine } from "../layout.ts";
import type { Logger } from "../log.ts";
import { addUsage, type Usage } from "../usage.ts";
import { renderTemplate } from "../../python-compat/jinja.ts";
import { exponentialDelay, sleep } from "../../shared/retry.ts";
import { postChat } from "./llm-http.ts";

export const INITIAL_ENGINE_NAME = "InitialRecognitionEngine";

/** An INITIAL_RECOGNITION section (src/processor/methods/initial-recognition.ts). */
export interface InitialSpec {
  kind: "initials";
  name: string;
  apiUrl: string;
  apiKey: string;
  prompt: { model: string; text: string | Record<string, string> };
  categories: string[];
  maxAttempts: number;
  retryBackoffMs: number;
  timeoutMs: number;
}

const RESPONSE_FORMAT = {
  type: "json_schema",
  json_schema: {
    name: "response_schema",
    strict: true,
    schema: {
      properties: { initial: { title: "Initial", type: "string" }, include_space: { title: "Include Space", type: "boolean" } },
      required: ["initial", "include_space"],
      title: "InitialRecognitionResult",
      type: "object",
    },
  },
};

const EXAMPLE_OUTPUT = JSON.stringify({ initial: "X", include_space: true }, null, 4);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

function intersects(b: BBox, z: BBox): boolean {
  return b.x1 <= z.x2 && b.x2 >= z.x1 && b.y1 <= z.y2 && b.y2 >= z.y1;
}

export interface InitialGeometry {
  continuing: TextLine;
  context: BBox;
}

/** docs/processor.md §3.7 geometry: the line the initial starts and the context crop box (clamped to the page). */
export function initialGeometry(box: BBox, lines: TextLine[], width: number, height: number): InitialGeometry | null {
  if (lines.length === 0) return null;
  const h = median(
    lines.map((l) => {
      const b = polygonBBox(l.polygon);
      return b.y2 - b.y1;
    }),
  );
  const w = box.x2 - box.x1;
  const zone: BBox = { x1: box.x1 + w / 2, y1: box.y1, x2: box.x2 + 2 * h, y2: box.y2 };
  const nearby = lines.filter((l) => intersects(polygonBBox(l.polygon), zone));
  if (nearby.length === 0) return null;
  const starts = nearby
    .map((l) => ({ l, p: l.baseline.reduce((a, b) => (b[0] < a[0] ? b : a), l.baseline[0] ?? [Infinity, Infinity]) }))
    .filter(({ p }) => p[0] > zone.x1 && p[0] < zone.x2 && p[1] > zone.y1 && p[1] < zone.y2)
    .sort((a, b) => a.p[1] - b.p[1]);
  if (starts.length === 0) return null;
  const pts = nearby.flatMap((l) => l.polygon);
  const xs = pts.map((p) => p[0]),
    ys = pts.map((p) => p[1]);
  const clampX = (v: number) => Math.max(0, Math.min(width, pyRound(v)));
  const clampY = (v: number) => Math.max(0, Math.min(height, pyRound(v)));
  return {
    continuing: starts[0]!.l,
    // sic: the reference's bottom edge uses y1, not y2 (docs/processor.md §3.7)
    context: {
      x1: clampX(Math.min(box.x1, ...xs) - h),
      y1: clampY(Math.min(box.y1, ...ys) - h),
      x2: clampX(Math.max(box.x2, ...xs) + h),
      y2: clampY(Math.max(box.y1, ...ys) + h),
    },
  };
}

function templateFor(spec: InitialSpec, category: string): string | null {
  const t = spec.prompt.text;
  if (typeof t === "string") return t;
  const lc = category.toLowerCase();
  for (const [k, v] of Object.entries(t)) if (k.toLowerCase() === lc) return v;
  return null;
}

/** Recognise the page's initials; returns the usage of every processed initial by region id. */
export async function runInitialRecognition(spec: InitialSpec, layout: Layout, image: RgbaImage, log: Logger): Promise<Map<string, Usage>> {
  const used = new Map<string, Usage>();
  const lines = textLines(layout).filter((l) => l.transcription.trim() !== "");
  const wanted = new Set(spec.categories.map((c) => c.toLowerCase()));
  for (const el of elements(layout)) {
    if (!el.meta || !wanted.has(el.category.toLowerCase())) continue;
    const box = polygonBBox(el.polygon);
    const geo = initialGeometry(box, lines, image.width, image.height);
    if (!geo) {
      log.warning(`[${spec.name}] ${el.id}: no text line continues this initial; skipped`);
      continue;
    }
    const template = templateFor(spec, el.category);
    if (template === null) {
      log.warning(`[${spec.name}] no prompt template for category '${el.category.toLowerCase()}'; ${el.id} skipped`);
      continue;
    }
    const initialCrop = cropRgba(image, box.x1, box.y1, box.x2, box.y2);
    const contextCrop = cropRgba(image, geo.context.x1, geo.context.y1, geo.context.x2, geo.context.y2);
    if (initialCrop.width === 0 || initialCrop.height === 0 || contextCrop.width === 0 || contextCrop.height === 0) {
      log.warning(`[${spec.name}] ${el.id}: empty crop; skipped`);
      continue;
    }
    const prompt = renderTemplate(template, { example_output: EXAMPLE_OUTPUT, continuing_line: geo.continuing.transcription });
    const body = {
      model: spec.prompt.model,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: prompt },
            { type: "image_url", image_url: `data:image/jpeg;base64,${encodeJpeg(initialCrop, 95).toString("base64")}` },
            { type: "image_url", image_url: `data:image/jpeg;base64,${encodeJpeg(contextCrop, 95).toString("base64")}` },
          ],
        },
      ],
      response_format: RESPONSE_FORMAT,
      reasoning_effort: "low",
    };
    const usage: Usage = {};
    let lastWithUsage = 0;
    let result: { initial: string; include_space: boolean } | null = null;
    for (let attempt = 0; attempt < spec.maxAttempts && !result; attempt++) {
      if (attempt > 0) await sleep(exponentialDelay(attempt, spec.retryBackoffMs));
      const r = await postChat(spec.apiUrl, spec.apiKey, body, spec.timeoutMs, log, `initial recognition of ${el.id}`);
      if (r.usage) {
        addUsage(usage, r.usage);
        lastWithUsage = attempt;
      }
      try {
        const v = JSON.parse(r.data?.choices?.[0]?.message?.content);
        if (v && typeof v.initial === "string" && typeof v.include_space === "boolean") result = v;
      } catch {
        // failed attempt
      }
      if (!result && r.data)
        log.warning(`initial recognition of ${el.id}: the answer is not {"initial": string, "include_space": boolean}`);
    }
    used.set(el.id, { ...usage, failed_attempts: lastWithUsage });
    if (!result) continue;
    el.transcription = result.initial + (result.include_space ? " " : "");
    el.meta.tagDescription = result.initial;
    el.meta.continuingLineId = geo.continuing.id;
    setModel(el.meta.usedAiModels, "initial-recognition", spec.prompt.model);
  }
  return used;
}
