/**
 * Render (docs/processor.md §4.4): the page with a box on every non-text element, JPEG quality 70.
 * Deviation requested for our product: boxes are coloured per category (2 px) and labelled with
 * the category label, tag id and confidence, instead of the reference's plain green unlabelled boxes.
 */
import { canvasFromRgba, encodeJpeg, takeDecodedCanvas, type RgbaImage } from "../../media/index.ts";
import { categoryByLabel } from "../categories.ts";
import { elements, polygonBBox, type Layout } from "../layout.ts";

/** Distinct, saturated colour per category id (golden-angle hues). */
function categoryColour(label: string): string {
  const id = categoryByLabel(label)?.id ?? 0;
  const hue = Math.round((id * 137.508) % 360);
  return `hsl(${hue}, 90%, 42%)`;
}

export function renderPage(image: RgbaImage, layout: Layout): Buffer {
  // draw on the decoder's canvas when the page is as decoded (no pixel copy); else on a copy of the pixels
  const canvas = takeDecodedCanvas(image) ?? canvasFromRgba(image);
  const ctx = canvas.getContext("2d");
  const fontPx = Math.max(12, Math.round(Math.min(image.width, image.height) / 70));
  ctx.font = `${fontPx}px sans-serif`;
  ctx.textBaseline = "top";
  for (const el of elements(layout)) {
    const bb = polygonBBox(el.polygon);
    const colour = categoryColour(el.category);
    ctx.strokeStyle = colour;
    ctx.lineWidth = 2;
    ctx.strokeRect(bb.x1, bb.y1, bb.x2 - bb.x1, bb.y2 - bb.y1);
    // the category's name, then the element's id (= its crop file's suffix), then the confidence
    const label = `${el.category} ${el.meta?.tagId ?? el.id}${el.confidence !== null ? ` ${el.confidence.toFixed(2)}` : ""}`;
    const w = ctx.measureText(label).width + 6;
    const y = bb.y1 - fontPx - 4 >= 0 ? bb.y1 - fontPx - 4 : bb.y1;
    ctx.fillStyle = colour;
    ctx.fillRect(bb.x1, y, w, fontPx + 4);
    ctx.fillStyle = "#ffffff";
    ctx.fillText(label, bb.x1 + 3, y + 2);
  }
  return encodeJpeg(canvas, 70);
}
