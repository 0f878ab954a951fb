import { describe, expect, test } from "bun:test";
import { createCanvas, ImageData, type SKRSContext2D } from "@napi-rs/canvas";
import { detectElements, CATEGORY_LABELS, categoryId, type Box } from "../../src/processor/detect/index.ts";
import { toGrey } from "../../src/media/index.ts";
import { rng } from "../../bench/synth-pages.ts";
import { groupLines } from "../../src/processor/detect/textlines.ts";
import type { Component } from "../../src/processor/detect/components.ts";
import { PHOTO, TABLE, WORDS, best, drawGraph, drawLineArt, drawPage, drawPhoto, drawTable, iou } from "../helpers/detect-page.ts";

describe("detectElements on synthetic pages", () => {
  test("a blank page and a text-only page give no detections", () => {
    const blank = drawPage({ seed: 1, text: false });
    expect(detectElements(blank.page)).toEqual([]);
    const text = drawPage({ seed: 2 });
    expect(text.lines.length).toBeGreaterThan(60); // the font rendered: the page really has text
    let dark = 0;
    for (const v of text.page.grey) if (v < 100) dark++;
    expect(dark).toBeGreaterThan(20000);
    expect(detectElements(text.page)).toEqual([]);
    expect(detectElements({ grey: text.page.grey, width: text.page.width, height: text.page.height, textLines: text.lines })).toEqual([]);
  });

  test("a photograph and a ruled table among text are found, boxed and labelled", async () => {
    const { page } = drawPage({
      seed: 3,
      figures: [
        { box: PHOTO, draw: drawPhoto },
        { box: TABLE, draw: drawTable },
      ],
    });
    const els = detectElements(page);
    if (process.env.DEBUG_DETECT) {
      console.log(JSON.stringify(els));
      const { encodePng } = await import("../../src/media/index.ts");
      await Bun.write("/tmp/synth.png", encodePng({ width: page.width, height: page.height, data: page.rgba }));
    }
    expect(els.length).toBe(2);
    const photo = best(els, PHOTO)!;
    expect(iou(photo.bbox, PHOTO)).toBeGreaterThan(0.85);
    expect(photo.category).toBe("Photograph");
    expect(photo.categoryId).toBe(3);
    const table = best(els, TABLE)!;
    expect(iou(table.bbox, TABLE)).toBeGreaterThan(0.85);
    expect(table.category).toBe("Table");
    expect(table.categoryId).toBe(18);
    for (const e of els) {
      expect(e.confidence).toBeGreaterThan(0);
      expect(e.confidence).toBeLessThanOrEqual(1);
      expect(CATEGORY_LABELS).toContain(e.category);
      expect(e.caption).toBeUndefined(); // no text lines given → no caption
    }
    // descending confidence, like YOLO output
    expect(els[0]!.confidence).toBeGreaterThanOrEqual(els[1]!.confidence);
  });

  test("grey-only input (no colour) still finds both", () => {
    const { page } = drawPage({
      seed: 4,
      figures: [
        { box: PHOTO, draw: drawPhoto },
        { box: TABLE, draw: drawTable },
      ],
    });
    const els = detectElements({ grey: page.grey, width: page.width, height: page.height });
    expect(els.map((e) => e.category).sort()).toEqual(["Photograph", "Table"]);
  });

  test("caption lines next to a figure are associated when text lines are given", () => {
    const { page, lines } = drawPage({
      seed: 5,
      figures: [
        { box: PHOTO, draw: drawPhoto, captionBelow: "Fig. 7: The harbour at dawn" },
        { box: TABLE, draw: drawTable, captionAbove: "Table 2. Yearly counts" },
      ],
    });
    const els = detectElements({ ...page, textLines: lines });
    const photo = best(els, PHOTO)!;
    expect(photo.caption?.text).toBe("Fig. 7: The harbour at dawn");
    expect(photo.caption!.bbox.y1).toBeGreaterThanOrEqual(PHOTO.y2);
    const table = best(els, TABLE)!;
    expect(table.caption?.text).toBe("Table 2. Yearly counts");
    expect(table.caption!.bbox.y2).toBeLessThanOrEqual(TABLE.y1);
  });

  test("a centred line right under a figure is its caption even without a 'Fig.' opener (OCR errors)", () => {
    const { page, lines } = drawPage({
      seed: 9,
      figures: [{ box: PHOTO, draw: drawPhoto, captionBelow: "Flq 7 The harbour at dawn" }],
    });
    const els = detectElements({ ...page, textLines: lines });
    expect(els.length).toBe(1);
    expect(els[0]!.caption?.text).toBe("Flq 7 The harbour at dawn");
    // body text lines only: nothing is a caption
    const bodyOnly = lines.filter((l) => !l.text.startsWith("Flq"));
    expect(detectElements({ ...page, textLines: bodyOnly })[0]!.caption).toBeUndefined();
  });

  test("threshold and category filters", () => {
    const { page } = drawPage({
      seed: 6,
      figures: [
        { box: PHOTO, draw: drawPhoto },
        { box: TABLE, draw: drawTable },
      ],
    });
    const all = detectElements(page);
    expect(all.length).toBe(2);
    expect(detectElements(page, { categories: ["table"] }).map((e) => e.category)).toEqual(["Table"]);
    const top = Math.max(...all.map((e) => e.confidence));
    expect(detectElements(page, { threshold: top + 0.001 })).toEqual([]);
  });

  test("works at another resolution (the same page drawn at 0.6 scale)", () => {
    const s = 0.6;
    const scale = (b: Box): Box => ({ x1: b.x1 * s, y1: b.y1 * s, x2: b.x2 * s, y2: b.y2 * s });
    const drawn = drawPage({
      seed: 7,
      figures: [
        { box: PHOTO, draw: drawPhoto },
        { box: TABLE, draw: drawTable },
      ],
    });
    const canvas = createCanvas(Math.round(1200 * s), Math.round(1700 * s));
    const src = createCanvas(1200, 1700);
    src.getContext("2d").putImageData(new ImageData(drawn.page.rgba, 1200, 1700), 0, 0);
    const ctx = canvas.getContext("2d");
    ctx.drawImage(src, 0, 0, canvas.width, canvas.height);
    const rgba = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    const grey = toGrey({ width: canvas.width, height: canvas.height, data: rgba });
    const els = detectElements({ grey: grey.data, width: canvas.width, height: canvas.height });
    expect(els.length).toBe(2);
    expect(iou(best(els, scale(PHOTO))!.bbox, scale(PHOTO))).toBeGreaterThan(0.8);
    expect(iou(best(els, scale(TABLE))!.bbox, scale(TABLE))).toBeGreaterThan(0.8);
  });

  test("a chart and a faint line drawing are found; the chart is never called a table or photograph", () => {
    const GRAPH: Box = { x1: 640, y1: 260, x2: 1080, y2: 620 };
    const ART: Box = { x1: 160, y1: 900, x2: 520, y2: 1260 };
    const { page } = drawPage({
      seed: 8,
      figures: [
        { box: GRAPH, draw: drawGraph },
        { box: ART, draw: (ctx, b) => drawLineArt(ctx, b) },
      ],
    });
    const els = detectElements(page);
    expect(els.length).toBe(2);
    const graph = best(els, GRAPH)!;
    expect(iou(graph.bbox, GRAPH)).toBeGreaterThan(0.85); // value labels along the axes are part of the chart
    expect(["Graph", "Image"]).toContain(graph.category);
    const art = best(els, ART)!;
    expect(iou(art.bbox, ART)).toBeGreaterThan(0.7);
    expect(["Photograph", "Table", "Graph"]).not.toContain(art.category);
  });

  test("pale pen marks in the margin are a handwritten note; printed marks in the same ink are not", () => {
    const NOTE: Box = { x1: 1120, y1: 500, x2: 1190, y2: 560 };
    const note = (colour: string) => (ctx: SKRSContext2D, b: Box) => {
      ctx.fillStyle = colour;
      ctx.font = "italic 20px DejaVu Sans";
      ctx.fillText("p. 18", b.x1 + 2, b.y1 + 22);
      ctx.fillText("cf. iv", b.x1 + 2, b.y1 + 52);
    };
    const pale = detectElements(drawPage({ seed: 10, figures: [{ box: NOTE, draw: note("rgb(120,118,125)") }] }).page);
    expect(pale.length).toBe(1);
    expect(pale[0]!.category).toBe("Handwritten note");
    expect(iou(pale[0]!.bbox, NOTE)).toBeGreaterThan(0.5);
    const printed = detectElements(drawPage({ seed: 10, figures: [{ box: NOTE, draw: note("rgb(25,22,20)") }] }).page);
    expect(printed).toEqual([]);
  });

  test("a dark scanner shadow along the page edge is not an element", () => {
    const EDGE: Box = { x1: 0, y1: 0, x2: 40, y2: 1700 };
    const shadow = (ctx: SKRSContext2D, b: Box) => {
      const g = ctx.createLinearGradient(b.x1, 0, b.x2, 0);
      g.addColorStop(0, "rgb(30,28,26)");
      g.addColorStop(1, "rgba(60,55,50,0)");
      ctx.fillStyle = g;
      ctx.fillRect(b.x1, b.y1, b.x2 - b.x1, b.y2 - b.y1);
    };
    const { page } = drawPage({
      seed: 11,
      figures: [
        { box: EDGE, draw: shadow },
        { box: TABLE, draw: drawTable },
      ],
    });
    const els = detectElements(page);
    expect(els.map((e) => e.category)).toEqual(["Table"]);
  });

  test("a drop cap with text running on beside it is an Initial", async () => {
    const CAP: Box = { x1: 90, y1: 488, x2: 160, y2: 560 };
    const dropCap = (ctx: SKRSContext2D, b: Box) => {
      ctx.fillStyle = "rgb(150,20,20)";
      ctx.font = "bold 96px DejaVu Serif";
      ctx.fillText("N", b.x1, b.y2);
    };
    const drawn = drawPage({ seed: 12, figures: [{ box: CAP, draw: dropCap, runIn: true }] });
    const els = detectElements(drawn.page);
    if (process.env.DEBUG_DETECT) {
      const { detectTraced } = await import("../../src/processor/detect/detect.ts");
      console.log(JSON.stringify(detectTraced(drawn.page)));
      const { encodePng, cropRgba } = await import("../../src/media/index.ts");
      await Bun.write("/tmp/synth2.png", encodePng(cropRgba({ width: 1200, height: 1700, data: drawn.page.rgba }, 0, 400, 600, 700)));
    }
    expect(els.length).toBe(1);
    expect(els[0]!.category).toBe("Initial");
    expect(iou(els[0]!.bbox, CAP)).toBeGreaterThan(0.6);
  });

  test("large type (a chapter heading, a title) is text, not an element", () => {
    const HEAD: Box = { x1: 200, y1: 300, x2: 1000, y2: 420 };
    const heading = (size: number, text: string) => (ctx: SKRSContext2D, b: Box) => {
      ctx.fillStyle = "rgb(25,22,20)";
      ctx.font = `bold ${size}px DejaVu Serif`;
      const w = ctx.measureText(text).width;
      ctx.fillText(text, (b.x1 + b.x2 - w) / 2, b.y2 - 30);
    };
    for (const [size, text] of [
      [56, "CHAPTER SEVEN"],
      [80, "The Harvest"],
      [40, "Part Two: Of Kings"],
    ] as const) {
      const els = detectElements(drawPage({ seed: 13, figures: [{ box: HEAD, draw: heading(size, text) }] }).page);
      expect({ text, els }).toEqual({ text, els: [] });
    }
  });

  test("a booktabs table (three rules, no verticals) is a Table", () => {
    const T: Box = { x1: 160, y1: 900, x2: 520, y2: 1180 };
    const booktabs = (ctx: SKRSContext2D, b: Box, r: () => number) => {
      ctx.fillStyle = "rgb(25,22,20)";
      ctx.fillRect(b.x1, b.y1, b.x2 - b.x1, 3);
      ctx.fillRect(b.x1, b.y1 + 42, b.x2 - b.x1, 2);
      ctx.fillRect(b.x1, b.y2 - 3, b.x2 - b.x1, 3);
      ctx.font = "bold 18px DejaVu Serif";
      ["Name", "Count", "Share"].forEach((h, j) => ctx.fillText(h, b.x1 + 12 + j * 120, b.y1 + 30));
      ctx.font = "18px DejaVu Serif";
      for (let i = 0; i < 8; i++)
        for (let j = 0; j < 3; j++)
          ctx.fillText(j ? String(Math.floor(r() * 900 + 10)) : WORDS[i]!, b.x1 + 12 + j * 120, b.y1 + 72 + i * 26);
    };
    const els = detectElements(drawPage({ seed: 14, figures: [{ box: T, draw: booktabs }] }).page);
    expect(els.length).toBe(1);
    expect(els[0]!.category).toBe("Table");
    expect(iou(els[0]!.bbox, T)).toBeGreaterThan(0.8);
  });

  test("bad input is refused", () => {
    expect(() => detectElements({ grey: new Uint8Array(10), width: 5, height: 5 })).toThrow();
  });

  test("category ids follow §3.4", () => {
    expect(categoryId("Barcode and QR code")).toBe(1);
    expect(categoryId("Table")).toBe(18);
    expect(categoryId("Image")).toBe(25);
  });
});

describe("groupLines (text-line grouping)", () => {
  /** The definition: every earlier component (by x1) within maxGap of c joins c when they share a baseline band. */
  function naiveGroups(comps: Component[], candidates: number[], maxGap: number): string[] {
    const order = [...candidates].sort((a, b) => comps[a]!.x1 - comps[b]!.x1);
    const parent = new Map(order.map((i) => [i, i] as [number, number]));
    const find = (a: number): number => (parent.get(a) === a ? a : find(parent.get(a)!));
    for (let q = 0; q < order.length; q++) {
      const c = comps[order[q]!]!;
      for (let p = 0; p < q; p++) {
        const d = comps[order[p]!]!;
        if (d.x2 + maxGap < c.x1) continue;
        const ov = Math.min(c.y2, d.y2) - Math.max(c.y1, d.y1);
        const minH = Math.min(c.y2 - c.y1, d.y2 - d.y1);
        const maxH = Math.max(c.y2 - c.y1, d.y2 - d.y1);
        if (ov >= 0.5 * minH && maxH <= 3 * minH + 2) parent.set(find(order[q]!), find(order[p]!));
      }
    }
    const groups = new Map<number, number[]>();
    for (const i of order) (groups.get(find(i)) ?? groups.set(find(i), []).get(find(i))!).push(i);
    return [...groups.values()].map((m) => m.sort((a, b) => a - b).join(",")).sort();
  }

  test("the bucketed sweep forms exactly the groups of the pairwise definition (random pages of glyphs, rules, specks)", () => {
    const r = rng(7);
    for (let page = 0; page < 25; page++) {
      const comps: Component[] = [];
      const n = 200 + Math.floor(r() * 800);
      for (let id = 0; id < n; id++) {
        const kind = r();
        const h = kind < 0.1 ? 1 + Math.floor(r() * 3) : kind < 0.9 ? 8 + Math.floor(r() * 30) : 40 + Math.floor(r() * 200);
        const w = 1 + Math.floor(r() * (kind < 0.9 ? 30 : 300));
        const x1 = Math.floor(r() * 1600);
        // most glyphs sit on a few baselines, so lines really form
        const y1 = r() < 0.7 ? Math.floor(r() * 40) * 55 + Math.floor(r() * 6) : Math.floor(r() * 2300);
        comps.push({ id, x1, y1, x2: x1 + w, y2: y1 + h, area: w * h });
      }
      const candidates = comps.filter(() => r() < 0.9).map((c) => c.id);
      const maxGap = 5 + Math.floor(r() * 30);
      const got = groupLines(comps, candidates, maxGap)
        .map((g) => [...g.members].sort((a, b) => a - b).join(","))
        .sort();
      const want = naiveGroups(comps, candidates, maxGap);
      expect(got).toEqual(want);
      expect(want.length).toBeLessThan(candidates.length); // some lines did form
    }
  });
});
