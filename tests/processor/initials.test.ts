/**
 * Initial recognition (docs/processor.md §3.7) against a real local HTTP server, ending in the
 * reference fixtures alto_initial_{no,with}_space.xml: geometry finds the continuing line, the
 * answer becomes LayoutTag@DESCRIPTION, the model note and SUBS_CONTENT on the line's first String.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runInitialRecognition, initialGeometry, type InitialSpec } from "../../src/processor/caption/initials.ts";
import { writeAlto } from "../../src/processor/alto/write.ts";
import type { Layout } from "../../src/processor/layout.ts";
import { createLogger } from "../../src/processor/log.ts";
import { firstDifference, xmlDict } from "../helpers/xmldict.ts";
import { REFERENCE_CREDITS } from "../helpers/reference-credits.ts";
import { xmllintCheck } from "../helpers/xmllint.ts";
import { SHARED } from "../helpers/shared.ts";
import { frozen, initialPageRegions } from "../helpers/reference-layout.ts";

const FIX = `${SHARED}/fixtures/annopage-alto`;
function fixtureLayout(): Layout {
  const regions = initialPageRegions({
    meta: {
      tagId: "initial_001",
      modsId: "MODS_PICT_0001",
      modsUuid: frozen.uuid(),
      recordId: frozen.uuid(),
      usedAiModels: [],
      prompts: [],
    },
  });
  return { id: "test_page", width: 210, height: 297, regions };
}

const requests: any[] = [];
let includeSpace = false;
let failures = 0;
let server: ReturnType<typeof Bun.serve>;
beforeAll(() => {
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      requests.push(await req.json());
      if (failures > 0) {
        failures--;
        return Response.json({
          choices: [{ message: { content: "not json" } }],
          usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
        });
      }
      return Response.json({
        choices: [{ message: { content: JSON.stringify({ initial: "XXX", include_space: includeSpace }) } }],
        usage: { prompt_tokens: 50, completion_tokens: 5, total_tokens: 55, cost: 0.0002 },
      });
    },
  });
});
afterAll(() => server.stop(true));

const spec = (): InitialSpec => ({
  kind: "initials",
  name: "INITIALS",
  apiUrl: `http://127.0.0.1:${server.port}/v1/chat/completions`,
  apiKey: "test_key",
  prompt: { model: "openai/gpt-5.4-mini", text: "Recognize the initial. Line: {{ continuing_line }}\n{{ example_output }}" },
  categories: ["initial"],
  maxAttempts: 3,
  retryBackoffMs: 5,
  timeoutMs: 10_000,
});
const image = { width: 210, height: 297, data: new Uint8ClampedArray(210 * 297 * 4).fill(200) };
const log = createLogger("CRITICAL");

describe("initial recognition", () => {
  test("geometry: the continuing line is line2; the context crop is clamped to the page", () => {
    const layout = fixtureLayout();
    const lines = layout.regions.flatMap((r) => (r.kind === "text" ? r.lines : []));
    const g = initialGeometry({ x1: 10, y1: 50, x2: 65, y2: 105 }, lines, 210, 297)!;
    expect(g.continuing.id).toBe("line2");
    expect(g.context).toEqual({ x1: 0, y1: 35, x2: 210, y2: 120 });
    expect(initialGeometry({ x1: 10, y1: 200, x2: 65, y2: 250 }, lines, 210, 297)).toBeNull();
  });

  for (const [space, fixture] of [
    [false, "alto_initial_no_space.xml"],
    [true, "alto_initial_with_space.xml"],
  ] as const) {
    test(`answer include_space=${space} → ${fixture}`, async () => {
      includeSpace = space;
      requests.length = 0;
      failures = space ? 1 : 0;
      const layout = fixtureLayout();
      const used = await runInitialRecognition(spec(), layout, image, log);
      const body = requests.at(-1);
      expect(body.model).toBe("openai/gpt-5.4-mini");
      expect(body.reasoning_effort).toBe("low");
      expect(body.response_format.json_schema.schema.required).toEqual(["initial", "include_space"]);
      expect(body.messages[0].content[0].text).toBe(
        'Recognize the initial. Line: A line no. 3.\n{\n    "initial": "X",\n    "include_space": true\n}',
      );
      expect(typeof body.messages[0].content[1].image_url).toBe("string");
      expect(body.messages[0].content[2].image_url).toMatch(/^data:image\/jpeg;base64,/);
      expect(used.get("initial_region")).toEqual(
        space
          ? { prompt_tokens: 53, completion_tokens: 6, total_tokens: 59, cost: 0.0002, failed_attempts: 1 }
          : { prompt_tokens: 50, completion_tokens: 5, total_tokens: 55, cost: 0.0002, failed_attempts: 0 },
      );
      const xml = writeAlto(layout, { ids: frozen, credits: REFERENCE_CREDITS });
      expect(firstDifference(xmlDict(xml), xmlDict(readFileSync(join(FIX, fixture), "utf8")))).toBeNull();
      xmllintCheck(xml);
    });
  }
});
