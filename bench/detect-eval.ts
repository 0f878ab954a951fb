/**
 * Shared by bench/detect-quality.ts and tests/processor/detect-devset.test.ts: run the detector over a labelled page set
 * and write one minimal ALTO v4 file per page (ComposedBlock + GraphicalElement per element — the shape AnnoPage
 * writes and the set's scorer reads).
 */
import { readdirSync, writeFileSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { decodeImage, encodeJpeg, resizeRgba, toGrey } from "../src/media/index.ts";
import { detectTraced, type TracedElement } from "../src/processor/detect/detect.ts";
import { ocrLines } from "./ocr-cache.ts";

export interface PagePrediction {
  id: string;
  width: number;
  height: number;
  ms: number;
  elements: TracedElement[];
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

export function evalAlto(pageId: string, width: number, height: number, els: readonly TracedElement[]): string {
  const blocks = els.map((e, i) => {
    const n = String(i + 1).padStart(4, "0");
    const { x1, y1, x2, y2 } = e.bbox;
    const geo = `HEIGHT="${y2 - y1}" WIDTH="${x2 - x1}" VPOS="${y1}" HPOS="${x1}"`;
    return `        <ComposedBlock ID="id_${esc(pageId)}_CB${n}" TYPE="${esc(e.category)}" ${geo}>\n          <GraphicalElement ID="id_${esc(pageId)}_GE${n}" ${geo}/>\n        </ComposedBlock>`;
  });
  return `<?xml version='1.0' encoding='utf-8'?>
<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#">
  <Layout>
    <Page ID="id_${esc(pageId)}" PHYSICAL_IMG_NR="1" HEIGHT="${height}" WIDTH="${width}">
      <PrintSpace HEIGHT="${height}" WIDTH="${width}" VPOS="0" HPOS="0">
${blocks.join("\n")}
      </PrintSpace>
    </Page>
  </Layout>
</alto>
`;
}

export interface PredictOptions {
  /** resample every page by this factor first (another scan resolution); the ALTO page size tells the scorer */
  scale?: number;
  /** give the detector grey only (no colour evidence) */
  greyOnly?: boolean;
  /** re-encode as JPEG at this quality first (stronger compression artefacts) */
  jpegQuality?: number;
  /** give the detector the page's OCR text lines (as the processor does after OCR; cached, bench/ocr-cache.ts) */
  ocr?: boolean;
}

/** Detect on every image of `setDir/images` and write `<id>.xml` into `outDir`. */
export async function predictSet(setDir: string, outDir: string, opts: PredictOptions = {}): Promise<PagePrediction[]> {
  const imagesDir = join(setDir, "images");
  const files = readdirSync(imagesDir)
    .filter((f) => /\.(jpe?g|png|tiff?|webp)$/i.test(f))
    .sort();
  const out: PagePrediction[] = [];
  for (const file of files) {
    const id = basename(file, extname(file));
    let img: { width: number; height: number; data: Uint8ClampedArray } = await decodeImage(join(imagesDir, file));
    if (opts.scale && opts.scale !== 1) img = resizeRgba(img, Math.round(img.width * opts.scale), Math.round(img.height * opts.scale));
    if (opts.jpegQuality) img = await decodeImage(encodeJpeg(img, opts.jpegQuality));
    const grey = toGrey(img);
    const textLines = opts.ocr ? await ocrLines(join(imagesDir, file), img) : undefined;
    const t0 = performance.now();
    const elements = detectTraced({
      grey: grey.data,
      width: img.width,
      height: img.height,
      rgba: opts.greyOnly ? undefined : img.data,
      textLines,
    });
    const ms = performance.now() - t0;
    writeFileSync(join(outDir, `${id}.xml`), evalAlto(id, img.width, img.height, elements));
    out.push({ id, width: img.width, height: img.height, ms, elements });
  }
  return out;
}
