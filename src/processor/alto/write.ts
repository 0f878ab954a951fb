/**
 * ALTO v4 writer (docs/processor.md §4.1). Two modes:
 *  - generate (mode B): a fresh document from the layout (text regions become TextBlocks);
 *  - merge (mode A): the input ALTO document with the new elements, tags and processing step added.
 * Deviation from the reference (recommended by the spec, §4.1 / §10.6): we merge whenever an input
 * ALTO exists for the page, whether or not an engine needs text lines, so input OCR text is never lost;
 * new elements are created in the document's ALTO namespace, a created `Tags` goes before `Layout`,
 * `xmlns:mods` is declared on the root, block numbering counts existing ids, a repeated AnnoPage
 * Processing step gets a unique ID, and TextLine look-ups try the exact ID before the `line_` form.
 */
import { DOMParser, type Document, type Element } from "@xmldom/xmldom";
import { elements, polygonBBox, type IdServices, type Layout } from "../layout.ts";
import { ANNOPAGE_SOFTWARE, type Credits, type SoftwareInfo } from "../software.ts";
import { escapeAttr, escapeText, serializePretty } from "../xml/serialize.ts";
import { ALTO_NS, MODS_NS, Maker, XLINK_NS, XMLNS_NS, XSI_NS, childElements, descendants } from "./dom.ts";
import { writeCaptionTag, writeLayoutTag } from "./mods.ts";
import { union, writeTextBlock, type Box4 } from "./text-block.ts";

/** docs/processor.md §4.1.1: characters replaced by `_` in the Page ID. */
function sanitizePageId(id: string): string {
  return id.replace(/[!"#$%&'()*+,/:;<=>?@[\\\]^`{|}~ ]/g, "_");
}

/** A `Processing` step crediting `sw` (ALTO 4: processingDateTime, then processingSoftware). */
function writeProcessing(A: Maker, parent: Element, id: string, dateTime: string, sw: SoftwareInfo): void {
  const proc = A.el(parent, "Processing", { ID: id });
  A.el(proc, "processingDateTime", {}, dateTime);
  const el = A.el(proc, "processingSoftware");
  A.el(el, "softwareCreator", {}, sw.creator);
  A.el(el, "softwareName", {}, sw.name);
  A.el(el, "softwareVersion", {}, sw.version);
  if (sw.description) A.el(el, "applicationDescription", {}, sw.description);
}

/** Mode B skeleton as text (parsed back into a DOM for the shared additions; the OCR step is added there). */
function skeleton(layout: Layout): string {
  const pageId = `id_${sanitizePageId(layout.id)}`;
  return (
    `<alto xmlns:xlink="${XLINK_NS}" xmlns:mods="${MODS_NS}" xmlns:xsi="${XSI_NS}" xmlns="${ALTO_NS}">` +
    `<Description><MeasurementUnit>pixel</MeasurementUnit><sourceImageInformation><fileName>${escapeText(layout.id)}</fileName></sourceImageInformation>` +
    `</Description><Tags/><Layout><Page ID="${escapeAttr(pageId)}" PHYSICAL_IMG_NR="1" HEIGHT="${layout.height}" WIDTH="${layout.width}">` +
    `<PrintSpace HEIGHT="0" WIDTH="0" VPOS="${layout.height}" HPOS="${layout.width}"/></Page></Layout></alto>`
  );
}

export interface AltoWriteOptions {
  ids: IdServices;
  /** Text of the input ALTO for mode A; absent → mode B. */
  inputAlto?: string;
  /**
   * Software credited in `Processing` steps and `recordContentSource`. Default: this processor, and the
   * OCR that made the layout's text lines (`layout.ocr`; no OCR step when none ran, e.g. text from PAGE XML).
   * Deviation from the reference, which always credits "PERO OCR v0.1.0" and "AnnoPage 0.0.1".
   */
  credits?: Credits;
}

/** Write the page's ALTO (mode A when `inputAlto` is given, else mode B). */
export function writeAlto(layout: Layout, opts: AltoWriteOptions): string {
  const merge = opts.inputAlto !== undefined;
  const doc = new DOMParser().parseFromString(merge ? opts.inputAlto! : skeleton(layout), "text/xml") as unknown as Document;
  const root = doc.documentElement as Element | null;
  if (root?.localName !== "alto") throw new Error("input ALTO has no <alto> root element");
  const altoNs = root.namespaceURI;
  const A = new Maker(doc, altoNs, root.prefix);

  // MODS namespace: the one bound to `mods` on the root, else MODS v3 declared on the root.
  let modsNs = root.getAttribute("xmlns:mods");
  if (!modsNs) {
    modsNs = MODS_NS;
    root.setAttributeNS(XMLNS_NS, "xmlns:mods", MODS_NS);
  }
  const M = new Maker(doc, modsNs, "mods");

  // Description + Processing AnnoPage
  let description = childElements(root, altoNs, "Description")[0];
  if (!description) {
    description = A.el(null, "Description");
    root.insertBefore(description, root.firstChild);
  }
  const credits: Credits = opts.credits ?? { processor: ANNOPAGE_SOFTWARE, ocr: layout.ocr ?? null };
  if (!merge && credits.ocr) writeProcessing(A, description, "IdOcr", opts.ids.processingDateTime(), credits.ocr);
  const existingIds = new Set(descendants(root, altoNs, "Processing").map((p) => p.getAttribute("ID") ?? ""));
  let procId = "AnnoPage";
  for (let n = 2; existingIds.has(procId); n++) procId = `AnnoPage_${n}`;
  writeProcessing(A, description, procId, opts.ids.processingDateTime(), credits.processor);
  const source = `${credits.processor.name} v${credits.processor.version}`;

  // Layout/Page/PrintSpace
  let layoutEl = childElements(root, altoNs, "Layout")[0];
  if (!layoutEl) layoutEl = A.el(root, "Layout");
  let tags = childElements(root, altoNs, "Tags")[0];
  if (!tags) {
    tags = A.el(null, "Tags");
    root.insertBefore(tags, layoutEl);
  }
  let page = childElements(layoutEl, altoNs, "Page")[0];
  if (!page)
    page = A.el(layoutEl, "Page", {
      ID: `id_${sanitizePageId(layout.id)}`,
      PHYSICAL_IMG_NR: 1,
      HEIGHT: layout.height,
      WIDTH: layout.width,
    });
  const pageAltoId = page.getAttribute("ID") ?? "";
  let printSpace = childElements(page, altoNs, "PrintSpace")[0];
  if (!printSpace) printSpace = A.el(page, "PrintSpace");
  const num = (e: Element, a: string, d: number) => {
    const v = e.getAttribute(a);
    const n = v === null || v === "" ? NaN : Number(v);
    return Number.isFinite(n) ? n : d;
  };
  let ps: Box4 = {
    height: num(printSpace, "HEIGHT", 0),
    width: num(printSpace, "WIDTH", 0),
    vpos: num(printSpace, "VPOS", layout.height),
    hpos: num(printSpace, "HPOS", layout.width),
  };

  const usedIds = new Set<string>();
  for (const e of Array.from(printSpace.getElementsByTagName("*") as unknown as Element[])) {
    const id = e.getAttribute("ID");
    if (id) usedIds.add(id);
  }
  const nextId = (kind: "CB" | "GE") => {
    for (let n = 1; ; n++) {
      const id = `${pageAltoId}_${kind}${String(n).padStart(4, "0")}`;
      if (!usedIds.has(id)) {
        usedIds.add(id);
        return id;
      }
    }
  };

  for (const region of layout.regions) {
    if (region.kind === "text") {
      if (merge) continue; // mode A: text comes from the input document as is
      const b = writeTextBlock(A, printSpace, region);
      if (b) ps = union(ps, b);
      continue;
    }
    const bb = polygonBBox(region.polygon);
    const box: Box4 = { vpos: bb.y1, hpos: bb.x1, height: bb.y2 - bb.y1, width: bb.x2 - bb.x1 };
    const cb = A.el(printSpace, "ComposedBlock", {
      ID: nextId("CB"),
      TYPE: region.category,
      HEIGHT: box.height,
      WIDTH: box.width,
      VPOS: box.vpos,
      HPOS: box.hpos,
      TAGREFS: region.meta ? region.meta.tagId : undefined,
    });
    A.el(cb, "GraphicalElement", { ID: nextId("GE"), HEIGHT: box.height, WIDTH: box.width, VPOS: box.vpos, HPOS: box.hpos });
    ps = union(ps, box);
  }

  for (const [k, v] of [
    ["HEIGHT", ps.height],
    ["WIDTH", ps.width],
    ["VPOS", ps.vpos],
    ["HPOS", ps.hpos],
  ] as const)
    printSpace.setAttribute(k, String(v));
  const Hp = layout.height,
    Wp = layout.width;
  const margins: [string, number, number, number, number][] = [
    ["TopMargin", ps.vpos, Wp, 0, 0],
    ["LeftMargin", Hp, ps.hpos, 0, 0],
    ["RightMargin", Hp, Wp - (ps.hpos + ps.width), 0, ps.hpos + ps.width],
    ["BottomMargin", Hp - (ps.vpos + ps.height), Wp, ps.vpos + ps.height, 0],
  ];
  for (const [name, h, w, v, hp] of margins) {
    let m = childElements(page, altoNs, name)[0];
    if (!m) {
      m = A.el(null, name);
      if (merge) page.appendChild(m);
      else page.insertBefore(m, printSpace);
    }
    m.setAttribute("HEIGHT", String(h));
    m.setAttribute("WIDTH", String(w));
    m.setAttribute("VPOS", String(v));
    m.setAttribute("HPOS", String(hp));
  }

  // Tags
  for (const el of elements(layout)) {
    if (!el.meta) continue;
    writeLayoutTag(A, M, tags, el, el.meta, opts.ids, source);
    if (el.meta.captionRecord) writeCaptionTag(A, M, tags, el, el.meta.captionRecord, opts.ids, source);
  }

  postProcessLines(root, altoNs, layout);
  return serializePretty(root);
}

// ---- docs/processor.md §4.1.6 post-processing ---------------------------------------------------------------------

function postProcessLines(root: Element, altoNs: string | null, layout: Layout): void {
  const byId = new Map<string, Element>();
  for (const tl of descendants(root, altoNs, "TextLine")) {
    const id = tl.getAttribute("ID");
    if (id && !byId.has(id)) byId.set(id, tl);
  }
  const find = (lineId: string) => byId.get(lineId) ?? (lineId.startsWith("line_") ? undefined : byId.get(`line_${lineId}`));
  for (const el of elements(layout)) {
    const meta = el.meta;
    if (!meta) continue;
    if (meta.captionRecord) {
      for (const lineId of meta.captionRecord.lineIds) {
        const tl = find(lineId);
        if (!tl) continue;
        const refs = (tl.getAttribute("TAGREFS") ?? "").split(/\s+/).filter(Boolean);
        if (!refs.includes(meta.captionRecord.tagId)) refs.push(meta.captionRecord.tagId);
        tl.setAttribute("TAGREFS", refs.join(" "));
      }
    }
    if (meta.continuingLineId && el.transcription !== undefined) {
      const tl = find(meta.continuingLineId);
      const first = tl ? childElements(tl, altoNs, "String")[0] : undefined;
      if (first) {
        first.setAttribute("SUBS_CONTENT", el.transcription + (first.getAttribute("CONTENT") ?? ""));
        first.setAttribute("SUBS_TYPE", "Abbreviation");
      }
    }
  }
}
