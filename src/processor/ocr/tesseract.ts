/**
 * OCR with tesseract.js-core driven directly (no tesseract.js worker): the WebAssembly core and the
 * traineddata are imported as files, so `bun build --compile` embeds them and a relocated binary never
 * looks in node_modules and never downloads anything. Two model sets: tessdata_fast (vendored from Debian's
 * tesseract-ocr-{ces,deu,eng}, vendor/tessdata_fast/README.md; the default: about 40 % less CPU a page)
 * and tessdata best_int (npm packages @tesseract.js-data/{eng,ces,deu}; `TESSDATA = best_int`).
 * One engine per process; `recognize` is synchronous.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
// @ts-expect-error -- emscripten factory without type declarations
import TesseractCore from "tesseract.js-core/tesseract-core-simd-lstm.js";
import coreWasmPath from "../../../node_modules/tesseract.js-core/tesseract-core-simd-lstm.wasm" with { type: "file" };
import engBestPath from "../../../node_modules/@tesseract.js-data/eng/4.0.0_best_int/eng.traineddata.gz" with { type: "file" };
import cesBestPath from "../../../node_modules/@tesseract.js-data/ces/4.0.0_best_int/ces.traineddata.gz" with { type: "file" };
import deuBestPath from "../../../node_modules/@tesseract.js-data/deu/4.0.0_best_int/deu.traineddata.gz" with { type: "file" };
import engFastPath from "../../../vendor/tessdata_fast/eng.traineddata.gz" with { type: "file" };
import cesFastPath from "../../../vendor/tessdata_fast/ces.traineddata.gz" with { type: "file" };
import deuFastPath from "../../../vendor/tessdata_fast/deu.traineddata.gz" with { type: "file" };
import corePkg from "tesseract.js-core/package.json" with { type: "json" };
import type { GreyImage } from "../../media/index.ts";
import type { SoftwareInfo } from "../software.ts";
import type { OcrLanguage, OcrModelSet, OcrSettings } from "./settings.ts";

/** What an engine loads: languages and model set (the thread count is PageOcr's business). */
export type OcrModels = Pick<OcrSettings, "languages" | "models">;
import type { Point, TextLine, TextRegion } from "../layout.ts";

const TRAINEDDATA: Record<OcrModelSet, Record<OcrLanguage, string>> = {
  fast: { eng: engFastPath, ces: cesFastPath, deu: deuFastPath },
  best_int: { eng: engBestPath, ces: cesBestPath, deu: deuBestPath },
};

interface TessModule {
  FS: { writeFile(path: string, data: Uint8Array | string): void };
  TessBaseAPI: new () => TessApi;
  ResultIterator: { prototype: Pick<TessResultIterator, "getBoundingBox"> };
}

/** A rectangle of page pixels, [x1, y1, x2, y2) . */
export type Box = [number, number, number, number];

/**
 * Tesseract's PolyBlockType values of blocks that hold text (flowing, heading, pull-out, table, vertical, caption);
 * image, line and noise blocks are never recognised, as in a whole-page recognition.
 */
const TEXT_BLOCK_TYPES = new Set([1, 2, 3, 6, 7, 8]);
/** White space kept around a text block when it is recognised on its own (Tesseract's boxes are tight). */
const BLOCK_MARGIN = 6;
interface TessApi {
  Init(datapath: string, lang: string, oem: number): number;
  /** Layout analysis only (page segmentation mode 3): an iterator over blocks, lines and words, nothing recognised. */
  AnalyseLayout(): TessPageIterator | null;
  /** Tesseract's own version string (e.g. `5.1.0-288-g2a9c1`). */
  Version(): string;
  SetVariable(name: string, value: string): boolean;
  SetImageFile(exif: number, angle: number): number;
  Recognize(monitor: null): number;
  GetIterator(): TessResultIterator | null;
  Clear(): void;
}
/** Tesseract's PageIterator (of a layout analysis); its BoundingBox is read through ResultIterator's helper. */
interface TessPageIterator {
  Begin(): void;
  Next(level: number): boolean;
  BlockType(): number;
  __destroy__(): void;
}
/** Tesseract's ResultIterator (page iterator levels: 0 block, 1 paragraph, 2 text line, 3 word). */
interface TessResultIterator {
  Begin(): void;
  Empty(level: number): boolean;
  IsAtBeginningOf(level: number): boolean;
  Next(level: number): boolean;
  GetUTF8Text(level: number): string | null;
  Confidence(level: number): number;
  getBoundingBox(level: number): { x0: number; y0: number; x1: number; y1: number };
  __destroy__(): void;
}
const RIL_BLOCK = 0,
  RIL_PARA = 1,
  RIL_TEXTLINE = 2,
  RIL_WORD = 3;

export class OcrEngine {
  private constructor(
    private readonly mod: TessModule,
    private readonly api: TessApi,
    readonly settings: OcrModels,
  ) {
    const models = settings.models === "fast" ? "tessdata_fast 4.1.0 (Debian)" : "tessdata 4.0.0_best_int";
    this.software = {
      creator: "tesseract-ocr",
      name: "tesseract",
      version: api.Version(),
      description: `tesseract.js-core ${corePkg.version} (WebAssembly, LSTM), ${models}: ${settings.languages.join("+")}`,
    };
  }

  /** What produced the text (credited in the ALTO's OCR Processing step). */
  readonly software: SoftwareInfo;

  static async create(settings: OcrModels): Promise<OcrEngine> {
    const { languages, models } = settings;
    const mod: TessModule = await TesseractCore({
      wasmBinary: readFileSync(coreWasmPath),
      print: () => {},
      printErr: () => {},
    });
    for (const lang of languages) mod.FS.writeFile(`/${lang}.traineddata`, gunzipSync(readFileSync(TRAINEDDATA[models][lang])));
    const api = new mod.TessBaseAPI();
    const status = api.Init("/", languages.join("+"), 1 /* OEM_LSTM_ONLY */);
    if (status !== 0) throw new Error(`tesseract could not load languages ${languages.join("+")} (${models})`);
    api.SetVariable("tessedit_pageseg_mode", "3");
    return new OcrEngine(mod, api, settings);
  }

  /** Recognise a grey page; returns text regions (Tesseract blocks) with their lines and words. */
  recognize(grey: GreyImage): TextRegion[] {
    return toRegions(this.recognizeImage(grey, 3, 0, 0));
  }

  /**
   * The page's text blocks by Tesseract's own layout analysis (no recognition), in reading order, each widened by a
   * small margin: the places `recognizeBlocks` can read one by one, on other threads, without cutting through a figure
   * or a line.
   */
  textBlocks(grey: GreyImage): Box[] {
    this.load(grey, 3);
    const it = this.api.AnalyseLayout();
    const boxes: Box[] = [];
    if (!it) return boxes;
    try {
      it.Begin();
      do {
        if (!TEXT_BLOCK_TYPES.has(it.BlockType())) continue;
        const b = this.mod.ResultIterator.prototype.getBoundingBox.call(it, RIL_BLOCK);
        const m = BLOCK_MARGIN;
        boxes.push([Math.max(0, b.x0 - m), Math.max(0, b.y0 - m), Math.min(grey.width, b.x1 + m), Math.min(grey.height, b.y1 + m)]);
      } while (it.Next(RIL_BLOCK));
    } finally {
      it.__destroy__();
      this.api.Clear();
    }
    return boxes;
  }

  /** Recognise each block of the page as one uniform block of text (mode 6); blocks in page coordinates. */
  recognizeBlocks(grey: GreyImage, boxes: readonly Box[]): Block[] {
    return boxes.flatMap(([x1, y1, x2, y2]) => this.recognizeImage(cropGrey(grey, x1, y1, x2, y2), 6, x1, y1));
  }

  private load(grey: GreyImage, pageSegMode: number): void {
    const header = new TextEncoder().encode(`P5\n${grey.width} ${grey.height}\n255\n`);
    const pgm = new Uint8Array(header.length + grey.data.length);
    pgm.set(header);
    pgm.set(grey.data, header.length);
    this.mod.FS.writeFile("/input", pgm);
    this.api.SetVariable("tessedit_pageseg_mode", String(pageSegMode));
    if (this.api.SetImageFile(1, 0) !== 0) throw new Error("tesseract could not read the page image");
  }

  private recognizeImage(grey: GreyImage, pageSegMode: number, dx: number, dy: number): Block[] {
    this.load(grey, pageSegMode);
    this.api.Recognize(null);
    try {
      return readBlocks(this.api, dx, dy);
    } finally {
      this.api.Clear();
    }
  }
}

function cropGrey(g: GreyImage, x1: number, y1: number, x2: number, y2: number): GreyImage {
  const width = x2 - x1,
    height = y2 - y1;
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) data.set(g.data.subarray((y + y1) * g.width + x1, (y + y1) * g.width + x2), y * width);
  return { width, height, data };
}

interface Word {
  text: string;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  confidence: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

export interface Block {
  box: number[];
  lines: { key: string; box: number[]; words: Word[] }[];
}

const boxOf = (it: TessResultIterator, level: number, dx: number, dy: number) => {
  const b = it.getBoundingBox(level);
  return [b.x0 + dx, b.y0 + dy, b.x1 + dx, b.y1 + dy];
};

/**
 * Blocks → lines → words of the recognised page, read with the ResultIterator word by word: the same walk, numbering
 * (blocks with words, paragraphs per block, lines per paragraph) and boxes as Tesseract's TSV output, which builds each
 * word's text symbol by symbol and took ~0.6 s of a dense page's 7 s.
 */
function readBlocks(api: TessApi, dx: number, dy: number): Block[] {
  const it = api.GetIterator();
  if (!it) return [];
  const blocks: Block[] = [];
  try {
    let block: Block | undefined;
    let line: Block["lines"][number] | undefined;
    let par = 0,
      lineNo = 0;
    it.Begin();
    while (!it.Empty(RIL_BLOCK)) {
      if (it.Empty(RIL_WORD)) {
        it.Next(RIL_WORD);
        continue;
      }
      if (it.IsAtBeginningOf(RIL_BLOCK) || !block) {
        blocks.push((block = { box: boxOf(it, RIL_BLOCK, dx, dy), lines: [] }));
        par = 0;
        lineNo = 0;
      }
      if (it.IsAtBeginningOf(RIL_PARA)) {
        par++;
        lineNo = 0;
      }
      if (it.IsAtBeginningOf(RIL_TEXTLINE) || !line) {
        lineNo++;
        block.lines.push((line = { key: `${par}_${lineNo}`, box: boxOf(it, RIL_TEXTLINE, dx, dy), words: [] }));
      }
      const text = (it.GetUTF8Text(RIL_WORD) ?? "").trim();
      if (text) {
        const [x1, y1, x2, y2] = boxOf(it, RIL_WORD, dx, dy) as [number, number, number, number];
        line.words.push({ text, x1, y1, x2, y2, confidence: Math.max(0, it.Confidence(RIL_WORD)) / 100 });
      }
      it.Next(RIL_WORD);
    }
  } finally {
    it.__destroy__();
  }
  return blocks;
}

/**
 * Blocks → text regions (`r001`…, numbered over the blocks that have words) with their non-empty lines
 * (`r001_l{paragraph}_{line}`); empty blocks are left out.
 */
export function toRegions(blocks: Block[]): TextRegion[] {
  const regions: TextRegion[] = [];
  for (const [i, b] of blocks.entries()) {
    const id = `r${String(i + 1).padStart(3, "0")}`;
    const lines: TextLine[] = [];
    for (const { key, ...l } of b.lines) {
      if (l.words.length === 0) continue;
      const [x1, y1, x2, y2] = l.box as [number, number, number, number];
      const baseY = median(l.words.map((w) => w.y2));
      const polygon: Point[] = [
        [x1, y1],
        [x2, y1],
        [x2, y2],
        [x1, y2],
      ];
      lines.push({
        id: `${id}_l${key}`,
        transcription: l.words.map((w) => w.text).join(" "),
        polygon,
        baseline: [
          [x1, baseY],
          [x2, baseY],
        ],
        words: l.words,
      });
    }
    if (lines.length === 0) continue;
    const [x1, y1, x2, y2] = b.box as [number, number, number, number];
    regions.push({
      kind: "text",
      id,
      polygon: [
        [x1, y1],
        [x2, y1],
        [x2, y2],
        [x1, y2],
      ],
      lines,
    });
  }
  return regions;
}
