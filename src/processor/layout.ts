/**
 * The in-memory page layout every engine reads and extends, and that the writers serialise
 * (docs/processor.md §3.2–§3.5). Coordinates are page pixels after the resize of §3.2.
 */
import { requireCategory } from "./categories.ts";
import type { SoftwareInfo } from "./software.ts";

export type Point = [number, number];

/** A value given per language (English first, then Czech), or one plain string; null = nothing for that language. */
export type LangValue = string | { eng: string | null; cze: string | null };
export type LangTopics = string | string[] | { eng: string | string[] | null; cze: string | string[] | null };

export interface TextLine {
  id: string;
  transcription: string;
  /** Closed or open polygon of the line. */
  polygon: Point[];
  baseline: Point[];
  /** Word boxes from OCR, when known (written as real String geometry instead of pero's fallback). */
  words?: { text: string; x1: number; y1: number; x2: number; y2: number; confidence: number }[];
}

export interface TextRegion {
  kind: "text";
  id: string;
  polygon: Point[];
  lines: TextLine[];
}

/** Caption record ("caption lines metadata", docs/processor.md §3.5). */
export interface CaptionRecord {
  tagId: string;
  modsId: string;
  modsUuid: string;
  recordId: string;
  lineIds: string[];
  description: string;
  title: LangValue;
  usedAiModels: [string, string][];
}

/** MODS-level metadata of a detected element (docs/processor.md §3.3 step 6, §3.5, §3.6.3, §3.7). */
export interface GraphicalMetadata {
  tagId: string;
  modsId: string;
  modsUuid: string;
  recordId: string;
  /** Ordered (role, model) pairs; setting a role again replaces its value in place. */
  usedAiModels: [string, string][];
  title?: LangValue;
  caption?: LangValue;
  description?: LangValue;
  topics?: LangTopics;
  color?: LangValue;
  /** LayoutTag@DESCRIPTION (recognised initial). */
  tagDescription?: string;
  captionRecord?: CaptionRecord;
  /** Prompts recorded by captioning engines (docs/processor.md §4.6). */
  prompts: string[];
  /** Id of the line an initial continues (docs/processor.md §3.7). */
  continuingLineId?: string;
  /** Image embedding records (docs/processor.md §4.3), one per embedding engine that embedded this element. */
  embeddings?: EmbeddingRecord[];
}

/** One record of the embeddings output (docs/processor.md §4.3), keys in the output order. */
export interface EmbeddingRecord {
  id: string;
  tag_id: string;
  page_uuid: string;
  category: string;
  source: null;
  processing_info: { system: string; version: string; datetime: string; model: string; decimal_places: number | null; precision: string };
  embedding: number[];
}

export interface ElementRegion {
  kind: "element";
  id: string;
  /** English label of docs/processor.md §3.4. */
  category: string;
  confidence: number | null;
  polygon: Point[];
  /** Region transcription (initial letters). */
  transcription?: string;
  meta: GraphicalMetadata | null;
}

export type Region = TextRegion | ElementRegion;

export interface Layout {
  /** Page id, or the ALTO Page@ID minus its first 3 characters when an ALTO was loaded (docs/processor.md §3.2). */
  id: string;
  width: number;
  height: number;
  regions: Region[];
  /** The OCR that produced the text lines, when this processor ran one (credited in the ALTO). */
  ocr?: SoftwareInfo;
}

export interface BBox {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** Python's round(): half to even (YOLO boxes can end in .5; docs/processor.md conventions). */
export function pyRound(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Rounded bounding box of a polygon (docs/processor.md §3.3 step 4). */
export function polygonBBox(polygon: readonly Point[]): BBox {
  let x1 = Infinity,
    y1 = Infinity,
    x2 = -Infinity,
    y2 = -Infinity;
  for (const [x, y] of polygon) {
    if (x < x1) x1 = x;
    if (y < y1) y1 = y;
    if (x > x2) x2 = x;
    if (y > y2) y2 = y;
  }
  return { x1: pyRound(x1), y1: pyRound(y1), x2: pyRound(x2), y2: pyRound(y2) };
}

/** Closed 5-point ring of a box (docs/processor.md §3.3 step 4). */
export function boxPolygon(x1: number, y1: number, x2: number, y2: number): Point[] {
  return [
    [x1, y1],
    [x1, y2],
    [x2, y2],
    [x2, y1],
    [x1, y1],
  ];
}

export function elements(layout: Layout): ElementRegion[] {
  return layout.regions.filter((r): r is ElementRegion => r.kind === "element");
}

export function textLines(layout: Layout): TextLine[] {
  return layout.regions.flatMap((r) => (r.kind === "text" ? r.lines : []));
}

/** Set a used-AI-model role, keeping insertion order (a Python dict assignment). */
export function setModel(models: [string, string][], role: string, value: string): void {
  const i = models.findIndex(([r]) => r === role);
  if (i >= 0) models[i] = [role, value];
  else models.push([role, value]);
}

/** Identity services, injectable so tests can freeze them (the reference tests freeze both). */
export interface IdServices {
  uuid(): string;
  /** `processingDateTime` text (naive UTC with microseconds in real runs). */
  processingDateTime(): string;
  /** `recordCreationDate` text (aware UTC to the second in real runs). */
  recordCreationDate(): string;
}

export const realIdServices: IdServices = {
  uuid: () => crypto.randomUUID(),
  processingDateTime: () => new Date().toISOString().replace("Z", "000"),
  recordCreationDate: () => new Date().toISOString().replace(/\.\d+Z$/, "+00:00"),
};

function lowestFree(used: Set<string>, make: (n: number) => string): string {
  for (let n = 1; ; n++) {
    const id = make(n);
    if (!used.has(id)) return id;
  }
}

/**
 * Append a detected element to the layout with its region id `<genre>_<NNN>` (lowest free per
 * category), MODS id `MODS_PICT_<NNNN>` (lowest free per page) and two fresh UUIDs (docs/processor.md §3.3).
 * `elementDetectionModel` is the value recorded for the `element-detection` role.
 */
export function addDetectedElement(
  layout: Layout,
  det: { x1: number; y1: number; x2: number; y2: number; confidence: number | null; label: string },
  ids: IdServices,
  /** The detector's name for the record; null for an element read from the input (its detector is unknown). */
  elementDetectionModel: string | null,
): ElementRegion {
  const cat = requireCategory(det.label);
  const els = elements(layout);
  const usedRegionIds = new Set(layout.regions.map((r) => r.id));
  const usedMods = new Set(els.map((e) => e.meta?.modsId).filter((x): x is string => !!x));
  const id = lowestFree(usedRegionIds, (n) => `${cat.genreEng}_${String(n).padStart(3, "0")}`);
  const modsId = lowestFree(usedMods, (n) => `MODS_PICT_${String(n).padStart(4, "0")}`);
  const region: ElementRegion = {
    kind: "element",
    id,
    category: cat.label,
    confidence: det.confidence,
    polygon: boxPolygon(det.x1, det.y1, det.x2, det.y2),
    meta: {
      tagId: id,
      modsId,
      modsUuid: ids.uuid(),
      recordId: ids.uuid(),
      usedAiModels: elementDetectionModel ? [["element-detection", elementDetectionModel]] : [],
      prompts: [],
    },
  };
  layout.regions.push(region);
  return region;
}

/**
 * Attach caption text and its lines to an element (effect of docs/processor.md §3.5, any variant). A later caption
 * replaces the earlier record and title.
 */
export function assignCaption(el: ElementRegion, text: string, lineIds: string[], ids: IdServices, models: [string, string][]): void {
  if (!el.meta) return;
  el.meta.captionRecord = {
    tagId: `fc.${el.meta.tagId}`,
    modsId: `${el.meta.modsId}_CAPTION_0001`,
    modsUuid: ids.uuid(),
    recordId: ids.uuid(),
    lineIds,
    description: text,
    title: text,
    usedAiModels: [],
  };
  el.meta.title = text;
  for (const [role, v] of models) setModel(el.meta.usedAiModels, role, v);
}
