/**
 * OCR model sets: tessdata_fast (vendored, the default) and best_int (npm) both load and read a dev page to
 * within a small character error rate of the text the page was typeset from (bench/ocr-truth.ts), and the
 * engine credits the model set it used.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { decodeImage, toGrey } from "../../src/media/index.ts";
import { OcrEngine, toRegions } from "../../src/processor/ocr/tesseract.ts";
import { PageOcr, shareOut, worthSharing } from "../../src/processor/ocr/parallel.ts";
import { ocrScale, scaleRegions, shrinkGrey } from "../../src/processor/ocr/scale.ts";
import { ocrThreads } from "../../src/processor/ocr/threads.ts";
import { OCR_MODEL_SETS, type OcrLanguage } from "../../src/processor/ocr/settings.ts";
import { loadTruth, scoreOcr } from "../../bench/ocr-truth.ts";
import { SHARED } from "../helpers/shared.ts";

describe("OCR model sets", () => {
  for (const models of OCR_MODEL_SETS) {
    test(`${models}: a dev page is read with CER under 1 % of its source text; the ALTO credit names the models`, async () => {
      // the top of a two-column page (its first dozen rows of text) keeps the test short; cut between two rows
      const page = toGrey(await decodeImage(join(SHARED, "fixtures", "pages", "images", "dev_007.jpg")));
      const full = loadTruth("dev_007");
      let height = 450;
      while (full.lines.some((l) => l.box[1] < height && height < l.box[3])) height++;
      const image = { width: page.width, height, data: page.data.subarray(0, page.width * height) };
      const truth = { ...full, height, lines: full.lines.filter((l) => l.box[3] < height) };
      const engine = await OcrEngine.create({ languages: ["ces", "eng", "deu"], models });
      const lines = engine
        .recognize(image)
        .flatMap((r) => r.lines)
        .map((l) => {
          const xs = l.polygon.map((p) => p[0]),
            ys = l.polygon.map((p) => p[1]);
          return {
            box: [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)] as [number, number, number, number],
            text: l.transcription,
          };
        });
      const { errors, chars } = scoreOcr(truth, lines, image.width, image.height);
      expect(truth.lines.length).toBeGreaterThan(10);
      expect(chars).toBeGreaterThan(500);
      expect(errors / chars).toBeLessThan(0.01);
      expect(engine.software.description).toContain(models === "fast" ? "tessdata_fast" : "best_int");
      expect(engine.software.description).toContain("ces+eng+deu");
    });
  }
});

describe("the CER scorer", () => {
  const truth = {
    page: "p",
    width: 1000,
    height: 1000,
    lines: [
      { box: [100, 100, 900, 140] as [number, number, number, number], text: "In the beginning" },
      { box: [100, 160, 900, 200] as [number, number, number, number], text: "was the word" },
    ],
  };
  test("OCR lines go to the truth line they overlap most, joined left to right; missed lines count as deleted", () => {
    // page given at half the truth's size: boxes are scaled up
    const got = [
      { box: [250, 50, 450, 70] as [number, number, number, number], text: "beginning" },
      { box: [50, 50, 240, 70] as [number, number, number, number], text: "In the" },
    ];
    expect(scoreOcr(truth, got, 500, 500)).toEqual({
      errors: "was the word".length,
      chars: "In the beginning".length + "was the word".length,
    });
  });
  test("substitutions and typographic quotes: quotes are normalised, letters are not", () => {
    const got = [
      { box: [100, 100, 900, 140] as [number, number, number, number], text: "In the beginnlng" },
      { box: [100, 160, 900, 200] as [number, number, number, number], text: "was  the word" },
    ];
    expect(scoreOcr(truth, got, 1000, 1000).errors).toBe(1);
  });
});

describe("one page on several threads", () => {
  test("the text blocks shared over 2 threads read exactly as one thread reading them one by one, in reading order", async () => {
    const page = toGrey(await decodeImage(join(SHARED, "fixtures", "pages", "images", "dev_002.jpg")));
    const settings = { languages: ["eng"] as OcrLanguage[], models: "fast" as const };
    const engine = await OcrEngine.create(settings);
    // PageOcr reads the page shrunk (src/processor/ocr/scale.ts) and answers in page pixels
    const f = ocrScale(page.width, page.height);
    const small = shrinkGrey(page, Math.round(page.width * f), Math.round(page.height * f));
    const boxes = engine.textBlocks(small);
    expect(boxes.length).toBeGreaterThan(3); // a three-column page with a photograph and a graph
    const sequential = scaleRegions(
      toRegions(engine.recognizeBlocks(small, boxes)),
      page.width / small.width,
      page.height / small.height,
      page.width,
      page.height,
    );
    const parallel = await (await PageOcr.create(settings, 2)).recognize(page);
    expect(parallel.length).toBe(sequential.length);
    expect(parallel).toEqual(sequential);
    expect(parallel.flatMap((r) => r.lines).length).toBeGreaterThan(40);
  });

  test("blocks are shared out by area, largest first onto the least loaded thread; each share in reading order", () => {
    const box = (w: number, h: number): [number, number, number, number] => [0, 0, w, h];
    expect(shareOut([box(10, 10), box(30, 10), box(20, 10), box(5, 10)], 2)).toEqual([
      [1, 3],
      [0, 2],
    ]);
    expect(shareOut([box(10, 10)], 3)).toEqual([[0], [], []]);
    // one column of text (a block with over three quarters of the area) is read whole
    expect(worthSharing([box(10, 10)])).toBe(false);
    expect(worthSharing([box(100, 10), box(10, 10)])).toBe(false);
    expect(worthSharing([box(30, 10), box(20, 10), box(10, 10)])).toBe(true);
  });

  test("THREADS = auto: the idle cores per page process, 1 to 4", () => {
    expect(ocrThreads(3, 1)).toBe(3);
    expect(ocrThreads("auto", 1, 2, 0.1)).toBe(2);
    expect(ocrThreads("auto", 2, 2, 0.1)).toBe(1);
    expect(ocrThreads("auto", 1, 2, 1.7)).toBe(1);
    expect(ocrThreads("auto", 1, 16, 0)).toBe(4);
  });
});
