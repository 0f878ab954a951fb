/**
 * PAGE XML output (docs/processor.md §4.2, pero-ocr PAGE 2019-07-15 form): every region a
 * TextRegion with its category and confidence in `custom`, text lines with baselines and text.
 */
import { pyFloatRepr } from "../../python-compat/py-json.ts";
import { pyRound, type IdServices, type Layout, type Point } from "../layout.ts";
import { escapeAttr, escapeText } from "../xml/serialize.ts";

const NS = "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15";

function pts(points: Point[]): string {
  return points.map(([x, y]) => `${Math.max(0, pyRound(x))},${Math.max(0, pyRound(y))}`).join(" ");
}

export function writePageXml(layout: Layout, ids: IdServices): string {
  const now = ids.processingDateTime();
  const out: string[] = [
    "<?xml version='1.0' encoding='utf-8'?>",
    `<PcGts xmlns="${NS}">`,
    `  <Metadata>`,
    `    <Creator>Pero OCR</Creator>`,
    `    <Created>${escapeText(now)}</Created>`,
    `    <LastChange>${escapeText(now)}</LastChange>`,
    `  </Metadata>`,
    `  <Page imageFilename="${escapeAttr(layout.id)}" imageWidth="${layout.width}" imageHeight="${layout.height}">`,
  ];
  for (const r of layout.regions) {
    if (r.kind === "element") {
      // Python's json.dumps separators (", " and ": "), as docs/processor.md §4.2 shows and pero-ocr writes
      const conf = r.confidence === null ? "null" : pyFloat3(r.confidence);
      const custom = `{"category": ${JSON.stringify(r.category)}, "detection_confidence": ${conf}}`;
      out.push(`    <TextRegion id="${escapeAttr(r.id)}" custom="${escapeAttr(custom)}">`);
      out.push(`      <Coords points="${pts(r.polygon)}"/>`);
      if (r.transcription) out.push(`      <TextEquiv>`, `        <Unicode>${escapeText(r.transcription)}</Unicode>`, `      </TextEquiv>`);
      out.push(`    </TextRegion>`);
      continue;
    }
    out.push(`    <TextRegion id="${escapeAttr(r.id)}">`, `      <Coords points="${pts(r.polygon)}"/>`);
    for (const l of r.lines) {
      out.push(`      <TextLine id="${escapeAttr(l.id)}">`, `        <Coords points="${pts(l.polygon)}"/>`);
      if (l.baseline.length) out.push(`        <Baseline points="${pts(l.baseline)}"/>`);
      out.push(
        `        <TextEquiv>`,
        `          <Unicode>${escapeText(l.transcription)}</Unicode>`,
        `        </TextEquiv>`,
        `      </TextLine>`,
      );
    }
    out.push(`    </TextRegion>`);
  }
  out.push(`  </Page>`, `</PcGts>`);
  return `${out.join("\n")}\n`;
}

/** A confidence rounded to 3 decimals as Python prints the float (`0.7`, `1.0`, `0.123`). */
const pyFloat3 = (x: number): string => pyFloatRepr(Number(x.toFixed(3)));
