#!/usr/bin/env bun
/**
 * Detection quality on a labelled page set (default: the dev set in /work/shared/fixtures/pages).
 *
 *   bun bench/detect-quality.ts [--set DIR] [--out DIR] [--per-page] [--trace]
 *
 * Runs the weight-free detector on every image of DIR/images (no text lines given: the same evidence the processor
 * has without ALTO input and before OCR), writes one minimal ALTO v4 file per page (ComposedBlock + GraphicalElement
 * per element, the shape AnnoPage writes) and runs the set's own scorer (DIR/score.ts) on them.
 */
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, extname, join } from "node:path";
import { decodeImage, toGrey } from "../src/media/index.ts";
import { detectTraced, type TracedElement } from "../src/engine/detect/detect.ts";

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const setDir = opt("--set") ?? "/work/shared/fixtures/pages";
const outDir = opt("--out") ?? mkdtempSync(join(tmpdir(), "detect-quality-"));
mkdirSync(outDir, { recursive: true });
const trace = args.includes("--trace");

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

function alto(pageId: string, width: number, height: number, els: TracedElement[]): string {
  const blocks = els.map((e, i) => {
    const n = String(i + 1).padStart(4, "0");
    const { x1, y1, x2, y2 } = e.bbox;
    const geo = `HEIGHT="${y2 - y1}" WIDTH="${x2 - x1}" VPOS="${y1}" HPOS="${x1}"`;
    return `        <ComposedBlock ID="id_${pageId}_CB${n}" TYPE="${esc(e.category)}" ${geo}>\n          <GraphicalElement ID="id_${pageId}_GE${n}" ${geo}/>\n        </ComposedBlock>`;
  });
  return `<?xml version='1.0' encoding='utf-8'?>
<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#">
  <Layout>
    <Page ID="id_${pageId}" PHYSICAL_IMG_NR="1" HEIGHT="${height}" WIDTH="${width}">
      <PrintSpace HEIGHT="${height}" WIDTH="${width}" VPOS="0" HPOS="0">
${blocks.join("\n")}
      </PrintSpace>
    </Page>
  </Layout>
</alto>
`;
}

const imagesDir = join(setDir, "images");
const files = readdirSync(imagesDir).filter((f) => /\.(jpe?g|png|tiff?|webp)$/i.test(f)).sort();
for (const file of files) {
  const id = basename(file, extname(file));
  const img = await decodeImage(join(imagesDir, file));
  const grey = toGrey(img);
  const t0 = performance.now();
  const els = detectTraced({ grey: grey.data, width: img.width, height: img.height, rgba: img.data });
  const ms = performance.now() - t0;
  writeFileSync(join(outDir, `${id}.xml`), alto(id, img.width, img.height, els));
  console.log(`${id}: ${els.length} elements, ${ms.toFixed(0)} ms`);
  if (trace)
    for (const e of els) {
      const f = e.features;
      const b = e.bbox;
      console.log(
        `  ${e.category.padEnd(12)} ${e.confidence.toFixed(2)} [${b.x1},${b.y1},${b.x2 - b.x1},${b.y2 - b.y1}] ` +
          `wG ${f.wG.toFixed(1)} hG ${f.hG.toFixed(1)} ink ${f.inkFrac.toFixed(2)} tone ${f.toneFrac.toFixed(2)} mid ${f.midFrac.toFixed(2)} ` +
          `col ${f.colourFrac.toFixed(2)} hL ${f.hLines.length} vL ${f.vLines.length} txt ${f.textComps} sm ${f.smallComps} big ${f.bigComps} ` +
          `lg ${f.largestShare.toFixed(2)} sym ${f.symmetry.toFixed(2)}`,
      );
    }
}
const scorer = join(setDir, "score.ts");
const p = Bun.spawnSync([process.execPath, scorer, "--gt", setDir, "--pred", outDir, ...(args.includes("--per-page") ? ["--per-page"] : [])], {
  stdout: "pipe",
  stderr: "pipe",
});
process.stdout.write(p.stdout.toString());
process.stderr.write(p.stderr.toString());
console.log(`predictions: ${outDir}`);
