import { describe, expect, test } from "bun:test";
import type { SKRSContext2D } from "@napi-rs/canvas";
import { detectElements, type Box } from "../../src/processor/detect/index.ts";
import { categoryFromCaption } from "../../src/processor/detect/caption-category.ts";
import { Typesetter, rng } from "../../bench/synth-pages.ts";
import { floorPlan, technicalDrawing } from "../../bench/synth-figures.ts";
import { WORDS, best, drawLineArt, drawPage, iou } from "../helpers/detect-page.ts";

/** Paint one of the bench's figure painters (drawn at the origin) into box `b` of the page. */
const painted = (paint: typeof floorPlan, seed: number) => (ctx: SKRSContext2D, b: Box) => {
  ctx.save();
  ctx.translate(b.x1, b.y1);
  paint(ctx, b.x2 - b.x1, b.y2 - b.y1, rng(seed), new Typesetter(true), WORDS, "DejaVu Serif", 22);
  ctx.restore();
};

/** A plate with two holes: one part of a technical drawing. */
function plate(ctx: SKRSContext2D, b: Box) {
  ctx.strokeStyle = "rgb(25,25,25)";
  ctx.lineWidth = 2;
  ctx.strokeRect(b.x1 + 2, b.y1 + 2, b.x2 - b.x1 - 4, b.y2 - b.y1 - 4);
  for (const fx of [0.3, 0.7]) {
    ctx.beginPath();
    ctx.arc(b.x1 + fx * (b.x2 - b.x1), (b.y1 + b.y2) / 2, (b.y2 - b.y1) * 0.15, 0, 6.3);
    ctx.stroke();
  }
}

describe("categories from the caption", () => {
  test("caption words name the category in English, Czech and German, with or without diacritics", () => {
    expect(categoryFromCaption("Map 3.")).toBe("Map");
    expect(categoryFromCaption("Obr. 12: Mapa okolí Tábora")).toBe("Map");
    expect(categoryFromCaption("Abb. 4. Karte des Rheintals")).toBe("Map");
    expect(categoryFromCaption("Obr. 21. Půdorys přízemí")).toBe("Floor plan");
    expect(categoryFromCaption("OBR. 21 PUDORYS PRIZEMI")).toBe("Floor plan");
    expect(categoryFromCaption("Fig. 2: Plan of the first floor")).toBe("Floor plan");
    expect(categoryFromCaption("Plan of the town")).toBe("Map");
    expect(categoryFromCaption("Abb. 2: Schaltplan der Anlage")).toBe("Diagram");
    expect(categoryFromCaption("Abb. 5: Diagramm der Werte")).toBe("Graph");
    expect(categoryFromCaption("Obr. 20: Kružnice a tečny")).toBe("Geometric drawing");
    expect(categoryFromCaption("Tab. 19: Četnost písmen v textu")).toBe("Table");
    expect(categoryFromCaption("Fig. 34: Section through the gear box")).toBe("Other technical drawing");
    // a generic opener names nothing
    expect(categoryFromCaption("Fig. 7: The harbour at dawn")).toBeUndefined();
    expect(categoryFromCaption("Obr. 3")).toBeUndefined();
  });

  test("a drawing captioned 'Map 3.' is a Map, captioned 'Obr. 4: Půdorys přízemí' a Floor plan; without text lines neither", () => {
    const ART: Box = { x1: 300, y1: 420, x2: 800, y2: 860 };
    for (const [caption, category] of [
      ["Map 3. The river and its valley", "Map"],
      ["Obr. 4: Půdorys přízemí", "Floor plan"],
    ] as const) {
      const { page, lines } = drawPage({ seed: 21, figures: [{ box: ART, draw: (ctx, b) => drawLineArt(ctx, b), captionBelow: caption }] });
      const withText = best(detectElements({ ...page, textLines: lines }), ART)!;
      expect(iou(withText.bbox, ART)).toBeGreaterThan(0.7);
      expect(withText.category).toBe(category);
      expect(withText.caption?.text).toBe(caption);
      const alone = best(detectElements(page), ART)!;
      expect(alone.category).not.toBe(category);
    }
  });

  test("a caption never turns a stamp or an initial into a figure kind", () => {
    const STAMP: Box = { x1: 200, y1: 500, x2: 440, y2: 640 };
    const { page, lines } = drawPage({
      seed: 22,
      figures: [{ box: STAMP, draw: redStamp, runIn: true, captionBelow: "Map 1. The county" }],
    });
    const found = best(detectElements({ ...page, textLines: lines }), STAMP)!;
    expect(found.category).toBe("Stamp");
  });
});

/** A red double-ring stamp with its text, pressed over whatever is there. */
function redStamp(ctx: SKRSContext2D, b: Box) {
  ctx.strokeStyle = ctx.fillStyle = "rgba(175,30,40,0.8)";
  ctx.lineWidth = 4;
  const cx = (b.x1 + b.x2) / 2;
  const cy = (b.y1 + b.y2) / 2;
  for (const d of [3, 14]) {
    ctx.beginPath();
    ctx.ellipse(cx, cy, (b.x2 - b.x1) / 2 - d, (b.y2 - b.y1) / 2 - d, 0, 0, 6.3);
    ctx.stroke();
  }
  ctx.font = "bold 26px DejaVu Sans";
  ctx.fillText("ARCHIV", cx - 52, cy + 9);
}

describe("categories from how it is drawn", () => {
  test("a red stamp printed over a text column is a Stamp", () => {
    const STAMP: Box = { x1: 200, y1: 500, x2: 440, y2: 640 };
    const { page } = drawPage({ seed: 23, figures: [{ box: STAMP, draw: redStamp, runIn: true }] });
    const els = detectElements(page);
    expect(els.length).toBe(1);
    expect(els[0]!.category).toBe("Stamp");
    expect(iou(els[0]!.bbox, STAMP)).toBeGreaterThan(0.6);
  });

  test("words in dark blue ink in the side margin are a Handwritten note (another pen, not paler than the print)", () => {
    const NOTE: Box = { x1: 1122, y1: 500, x2: 1192, y2: 560 };
    const note = (ctx: SKRSContext2D, b: Box) => {
      ctx.fillStyle = "rgb(30,45,150)";
      ctx.font = "italic 18px DejaVu Sans";
      ctx.fillText("vide", b.x1 + 2, b.y1 + 22);
      ctx.fillText("p. 31", b.x1 + 2, b.y1 + 50);
    };
    const els = detectElements(drawPage({ seed: 24, figures: [{ box: NOTE, draw: note }] }).page);
    expect(els.length).toBe(1);
    expect(els[0]!.category).toBe("Handwritten note");
    expect(iou(els[0]!.bbox, NOTE)).toBeGreaterThan(0.4);
  });

  test("a framed initial (letter and frame in separate pieces) with text running on beside it is an Initial", () => {
    const INI: Box = { x1: 90, y1: 300, x2: 196, y2: 400 };
    const framed = (ctx: SKRSContext2D, b: Box) => {
      ctx.strokeStyle = ctx.fillStyle = "rgb(25,22,20)";
      ctx.lineWidth = 3;
      ctx.strokeRect(b.x1 + 2, b.y1 + 2, b.x2 - b.x1 - 4, b.y2 - b.y1 - 4);
      ctx.font = "bold 80px DejaVu Serif";
      ctx.fillText("T", b.x1 + 16, b.y2 - 18);
    };
    const els = detectElements(drawPage({ seed: 31, figures: [{ box: INI, draw: framed, runIn: true }] }).page);
    expect(els.length).toBe(1);
    expect(els[0]!.category).toBe("Initial");
    expect(iou(els[0]!.bbox, INI)).toBeGreaterThan(0.8);
  });

  test("a floor plan and a technical drawing are told apart from a generic image", () => {
    const FIG: Box = { x1: 200, y1: 400, x2: 1000, y2: 900 };
    const plan = detectElements(drawPage({ seed: 25, figures: [{ box: FIG, draw: painted(floorPlan, 5) }] }).page);
    expect(plan.length).toBe(1);
    expect(plan[0]!.category).toBe("Floor plan");
    const tech = detectElements(drawPage({ seed: 26, figures: [{ box: FIG, draw: painted(technicalDrawing, 6) }] }).page);
    expect(tech.length).toBe(1);
    expect(tech[0]!.category).toBe("Other technical drawing");
    expect(iou(tech[0]!.bbox, FIG)).toBeGreaterThan(0.7);
  });

  test("two parts of one drawing side by side are one element; two figures each with its own caption stay two", () => {
    const LEFT: Box = { x1: 220, y1: 500, x2: 560, y2: 760 };
    const RIGHT: Box = { x1: 600, y1: 500, x2: 940, y2: 760 };
    const whole: Box = { x1: LEFT.x1, y1: LEFT.y1, x2: RIGHT.x2, y2: RIGHT.y2 };
    const one = detectElements(
      drawPage({
        seed: 27,
        figures: [{ box: whole, draw: (ctx) => (plate(ctx, LEFT), plate(ctx, RIGHT)) }],
      }).page,
    );
    expect(one.length).toBe(1);
    expect(iou(one[0]!.bbox, whole)).toBeGreaterThan(0.8);
    const two = detectElements(
      drawPage({
        seed: 27,
        figures: [
          { box: LEFT, draw: plate, captionBelow: "Fig. 1: Front" },
          { box: RIGHT, draw: plate, captionBelow: "Fig. 2: Back" },
        ],
      }).page,
    );
    expect(two.length).toBe(2);
    expect(iou(best(two, LEFT)!.bbox, LEFT)).toBeGreaterThan(0.8);
    expect(iou(best(two, RIGHT)!.bbox, RIGHT)).toBeGreaterThan(0.8);
  });
});
