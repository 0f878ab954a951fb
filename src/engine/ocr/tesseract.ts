/**
 * OCR with tesseract.js-core driven directly (no tesseract.js worker): the WebAssembly core and the
 * traineddata (npm packages @tesseract.js-data/{eng,ces,deu}, "best_int" models) are imported as
 * files, so `bun build --compile` embeds them and a relocated binary never looks in node_modules
 * and never downloads anything. One engine per process; `recognize` is synchronous.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
// @ts-ignore -- emscripten factory without type declarations
import TesseractCore from "tesseract.js-core/tesseract-core-simd-lstm.js";
// @ts-ignore -- file import (embedded by bun build --compile)
import coreWasmPath from "../../../node_modules/tesseract.js-core/tesseract-core-simd-lstm.wasm" with { type: "file" };
// @ts-ignore -- file import (embedded by bun build --compile)
import engPath from "../../../node_modules/@tesseract.js-data/eng/4.0.0_best_int/eng.traineddata.gz" with { type: "file" };
// @ts-ignore -- file import (embedded by bun build --compile)
import cesPath from "../../../node_modules/@tesseract.js-data/ces/4.0.0_best_int/ces.traineddata.gz" with { type: "file" };
// @ts-ignore -- file import (embedded by bun build --compile)
import deuPath from "../../../node_modules/@tesseract.js-data/deu/4.0.0_best_int/deu.traineddata.gz" with { type: "file" };
import type { GreyImage } from "../../media/index.ts";
import type { OcrLanguage } from "../config/engine-config.ts";
import type { Point, TextLine, TextRegion } from "../layout.ts";

const TRAINEDDATA: Record<OcrLanguage, string> = { eng: engPath, ces: cesPath, deu: deuPath };

interface TessModule {
  FS: { writeFile(path: string, data: Uint8Array | string): void };
  TessBaseAPI: new () => TessApi;
}
interface TessApi {
  Init(datapath: string, lang: string, oem: number): number;
  SetVariable(name: string, value: string): boolean;
  SetImageFile(exif: number, angle: number): number;
  Recognize(monitor: null): number;
  GetTSVText(page: number): string;
  Clear(): void;
}

export class OcrEngine {
  private constructor(
    private readonly mod: TessModule,
    private readonly api: TessApi,
    readonly languages: OcrLanguage[],
  ) {}

  static async create(languages: OcrLanguage[]): Promise<OcrEngine> {
    const mod: TessModule = await TesseractCore({
      wasmBinary: readFileSync(coreWasmPath),
      print: () => {},
      printErr: () => {},
    });
    for (const lang of languages) mod.FS.writeFile(`/${lang}.traineddata`, gunzipSync(readFileSync(TRAINEDDATA[lang])));
    const api = new mod.TessBaseAPI();
    const status = api.Init("/", languages.join("+"), 1 /* OEM_LSTM_ONLY */);
    if (status !== 0) throw new Error(`tesseract could not load languages ${languages.join("+")}`);
    api.SetVariable("tessedit_pageseg_mode", "3");
    return new OcrEngine(mod, api, languages);
  }

  /** Recognise a grey page; returns text regions (Tesseract blocks) with their lines and words. */
  recognize(grey: GreyImage): TextRegion[] {
    const header = new TextEncoder().encode(`P5\n${grey.width} ${grey.height}\n255\n`);
    const pgm = new Uint8Array(header.length + grey.data.length);
    pgm.set(header);
    pgm.set(grey.data, header.length);
    this.mod.FS.writeFile("/input", pgm);
    if (this.api.SetImageFile(1, 0) !== 0) throw new Error("tesseract could not read the page image");
    this.api.Recognize(null);
    const tsv = this.api.GetTSVText(0);
    this.api.Clear();
    return parseTsv(tsv);
  }
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

/** Tesseract TSV (level, page, block, par, line, word, left, top, width, height, conf, text) → regions. */
export function parseTsv(tsv: string): TextRegion[] {
  const blocks = new Map<number, { box: number[]; lines: Map<string, { box: number[]; words: Word[] }> }>();
  for (const row of tsv.split("\n")) {
    const c = row.split("\t");
    if (c.length < 12) continue;
    const [level, , block, par, line] = c.slice(0, 5).map(Number) as [number, number, number, number, number];
    const [left, top, width, height] = c.slice(6, 10).map(Number) as [number, number, number, number];
    const box = [left, top, left + width, top + height];
    if (level === 2) blocks.set(block, { box, lines: new Map() });
    const b = blocks.get(block);
    if (!b) continue;
    const key = `${par}_${line}`;
    if (level === 4) b.lines.set(key, { box, words: [] });
    if (level === 5) {
      const text = c.slice(11).join("\t").trim();
      const l = b.lines.get(key);
      if (l && text) l.words.push({ text, x1: box[0]!, y1: box[1]!, x2: box[2]!, y2: box[3]!, confidence: Math.max(0, Number(c[10])) / 100 });
    }
  }
  const regions: TextRegion[] = [];
  for (const [bn, b] of blocks) {
    const id = `r${String(bn).padStart(3, "0")}`;
    const lines: TextLine[] = [];
    for (const [key, l] of b.lines) {
      if (l.words.length === 0) continue;
      const [x1, y1, x2, y2] = l.box as [number, number, number, number];
      const baseY = median(l.words.map((w) => w.y2));
      const polygon: Point[] = [[x1, y1], [x2, y1], [x2, y2], [x1, y2]];
      lines.push({ id: `${id}_l${key}`, transcription: l.words.map((w) => w.text).join(" "), polygon, baseline: [[x1, baseY], [x2, baseY]], words: l.words });
    }
    if (lines.length === 0) continue;
    const [x1, y1, x2, y2] = b.box as [number, number, number, number];
    regions.push({ kind: "text", id, polygon: [[x1, y1], [x2, y1], [x2, y2], [x1, y2]], lines });
  }
  return regions;
}
