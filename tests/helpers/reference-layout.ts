/**
 * The layouts the reference tool's ALTO tests are built from (fixtures alto_*.xml in the shared fixtures): frozen ids
 * and clocks, a text line builder, and the page of the initial fixtures — two text regions and an initial whose
 * third line continues it. Shared by tests/processor/alto.test.ts and tests/processor/initials.test.ts.
 */
import { boxPolygon, type ElementRegion, type IdServices, type TextRegion } from "../../src/processor/layout.ts";

export const frozen: IdServices = {
  uuid: () => "01234567-0123-0123-0123-0123456789ab",
  processingDateTime: () => "1970-01-01T12:00:00",
  recordCreationDate: () => "1970-01-01T12:00:00",
};

export function line(id: string, text: string, x1: number, y1: number, x2: number, y2: number) {
  return {
    id,
    transcription: text,
    polygon: boxPolygon(x1, y1, x2, y2).slice(0, 4),
    baseline: [
      [x1, y2 - 5],
      [x2, y2 - 5],
    ] as [number, number][],
  };
}

/** The two text regions of the initial fixtures and the initial itself, with the meta and transcription given. */
export function initialPageRegions(initial: Pick<ElementRegion, "meta" | "transcription">): [TextRegion, TextRegion, ElementRegion] {
  const r1: TextRegion = {
    kind: "text",
    id: "text_region_1",
    polygon: boxPolygon(10, 10, 200, 45).slice(0, 4),
    lines: [line("line0", "This is line no. 1.", 10, 10, 200, 25), line("line1", "This is line no. 2.", 10, 30, 200, 45)],
  };
  const r2: TextRegion = {
    kind: "text",
    id: "text_region_2",
    polygon: boxPolygon(10, 50, 200, 145).slice(0, 4),
    lines: [
      line("line2", "A line no. 3.", 70, 50, 200, 65),
      line("line3", "A line no. 4.", 70, 70, 200, 85),
      line("line4", "A line no. 5.", 70, 90, 200, 105),
      line("line5", "This is line no. 6.", 10, 110, 200, 125),
      line("line6", "This is line no. 7.", 10, 130, 200, 145),
    ],
  };
  const element: ElementRegion = {
    kind: "element",
    id: "initial_region",
    category: "Initial",
    confidence: 0.9,
    polygon: [
      [10, 50],
      [10, 105],
      [65, 105],
      [65, 50],
    ],
    ...initial,
  };
  return [r1, r2, element];
}
