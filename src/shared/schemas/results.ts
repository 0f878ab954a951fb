/** The result of a done job as JSON (extension, docs/decisions.md §11: the dashboard's page viewer). */
import { z } from "zod";

const ResultElementSchema = z.object({
  id: z.string(),
  category: z.string().describe("Element category (ALTO ComposedBlock TYPE), e.g. Photograph, Table"),
  confidence: z.number().nullable(),
  caption: z.string().nullable(),
  text: z.string().describe("OCR text of the lines inside the element's box"),
  box: z.object({ x: z.number(), y: z.number(), w: z.number(), h: z.number() }).describe("Pixels: left, top, width, height"),
});

export const ResultPageSchema = z.object({
  name: z.string().describe("Image name as submitted"),
  order: z.int(),
  alto: z.string().nullable().describe("The page's ALTO in the result ZIP; null when the result has none for it"),
  width: z.number().nullable(),
  height: z.number().nullable(),
  lines: z.int(),
  elements: z.array(ResultElementSchema),
});

export const ResultPagesSchema = z.object({ pages: z.array(ResultPageSchema) });
export type ResultPage = z.output<typeof ResultPageSchema>;
