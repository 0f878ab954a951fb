/**
 * src/processor/ocr/scale.ts: a large page is shrunk by area averaging before OCR, and what OCR found comes back in
 * page pixels; a dev page read through PageOcr at 1600×2300 stays within 1 % CER of its source text.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { decodeImage, resizeRgba, toGrey } from "../../../src/media/index.ts";
import { OCR_MAX_SIDE, ocrScale, scaleRegions, shrinkGrey } from "../../../src/processor/ocr/scale.ts";
import { PageOcr } from "../../../src/processor/ocr/parallel.ts";
import type { TextRegion } from "../../../src/processor/layout.ts";
import { loadTruth, scoreOcr } from "../../../bench/ocr-truth.ts";
import { SHARED } from "../../helpers/shared.ts";

describe("shrinking a page for OCR", () => {
  test("only pages longer than OCR_MAX_SIDE are shrunk, to that longer side", () => {
    expect(ocrScale(1100, 1600)).toBe(1);
    expect(ocrScale(1600, 2300)).toBeCloseTo(OCR_MAX_SIDE / 2300, 9);
    expect(ocrScale(2300, 1600)).toBeCloseTo(OCR_MAX_SIDE / 2300, 9);
  });

  test("area averaging: a 2:1 shrink averages 2×2 blocks; a flat image stays flat at any factor", () => {
    const g = { width: 4, height: 2, data: Uint8Array.from([0, 100, 200, 200, 100, 200, 50, 50]) };
    expect([...shrinkGrey(g, 2, 1).data]).toEqual([100, 125]);
    const flat = { width: 7, height: 5, data: new Uint8Array(35).fill(77) };
    const s = shrinkGrey(flat, 3, 2);
    expect([s.width, s.height, s.data.length]).toEqual([3, 2, 6]);
    expect([...s.data]).toEqual([77, 77, 77, 77, 77, 77]);
  });

  test("regions, lines, baselines and words are scaled back and clamped to the page", () => {
    const r: TextRegion = {
      kind: "text",
      id: "r001",
      polygon: [
        [10, 20],
        [60, 20],
      ],
      lines: [
        {
          id: "r001_l1_1",
          transcription: "a b",
          polygon: [[10, 20]],
          baseline: [[60, 30]],
          words: [{ text: "a", x1: 10, y1: 20, x2: 61, y2: 31, confidence: 0.9 }],
        },
      ],
    };
    const [s] = scaleRegions([r], 2, 1.5, 120, 45);
    expect(s!.polygon).toEqual([
      [20, 30],
      [120, 30],
    ]);
    expect(s!.lines[0]!.polygon).toEqual([[20, 30]]);
    expect(s!.lines[0]!.baseline).toEqual([[120, 45]]);
    expect(s!.lines[0]!.words).toEqual([{ text: "a", x1: 20, y1: 30, x2: 120, y2: 45, confidence: 0.9 }]);
    expect(s!.lines[0]!.transcription).toBe("a b");
  });

  test("dev_003 at 1600×2300 (large type) is read shrunk with CER under 1 %, its lines in page pixels", async () => {
    const page = toGrey(resizeRgba(await decodeImage(join(SHARED, "fixtures", "pages", "images", "dev_003.jpg")), 1600, 2300));
    const ocr = await PageOcr.create({ languages: ["ces", "eng", "deu"], models: "fast" }, 1);
    const lines = (await ocr.recognize(page))
      .flatMap((r) => r.lines)
      .map((l) => {
        const xs = l.polygon.map((p) => p[0]),
          ys = l.polygon.map((p) => p[1]);
        return {
          box: [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)] as [number, number, number, number],
          text: l.transcription,
        };
      });
    expect(Math.max(...lines.map((l) => l.box[2]))).toBeGreaterThan(OCR_MAX_SIDE * (1600 / 2300));
    const { errors, chars } = scoreOcr(loadTruth("dev_003"), lines, 1600, 2300);
    expect(chars).toBeGreaterThan(500);
    expect(errors / chars).toBeLessThan(0.01);
  });
});
