/**
 * ALTO v4 writer (annopage-tool.md §4.1). Two modes:
 *  - generate (mode B): a fresh document from the layout (text regions become TextBlocks);
 *  - merge (mode A): the input ALTO document with the new elements, tags and processing step added.
 * Deviation from the reference (recommended by the spec, §4.1 / §10.6): we merge whenever an input
 * ALTO exists for the page, whether or not an engine needs text lines, so input OCR text is never lost;
 * new elements are created in the document's ALTO namespace, a created `Tags` goes before `Layout`,
 * `xmlns:mods` is declared on the root, block numbering counts existing ids, a repeated AnnoPage
 * Processing step gets a unique ID, and TextLine look-ups try the exact ID before the `line_` form.
 */
import { DOMParser, type Document, type Element } from "@xmldom/xmldom";
import { categoryByLabel } from "../categories.ts";
import {
  elements,
  polygonBBox,
  pyRound,
  type CaptionRecord,
  type ElementRegion,
  type GraphicalMetadata,
  type IdServices,
  type LangTopics,
  type LangValue,
  type Layout,
  type TextRegion,
} from "../layout.ts";
import { ANNOPAGE_SOFTWARE, type Credits, type SoftwareInfo } from "../software.ts";
import { escapeAttr, escapeText, serializePretty } from "../xml/serialize.ts";

const ALTO_NS = "http://www.loc.gov/standards/alto/ns-v4#";
const MODS_NS = "http://www.loc.gov/mods/v3";
const XLINK_NS = "http://www.w3.org/1999/xlink";
const XSI_NS = "http://www.w3.org/2001/XMLSchema-instance";
const XMLNS_NS = "http://www.w3.org/2000/xmlns/";

type Attrs = Record<string, string | number | undefined>;

/** Creates elements in a fixed namespace/prefix. */
class Maker {
  constructor(
    readonly doc: Document,
    readonly ns: string | null,
    readonly prefix: string | null,
  ) {}
  el(parent: Element | null, name: string, attrs: Attrs = {}, text?: string): Element {
    const q = this.prefix ? `${this.prefix}:${name}` : name;
    const e = this.doc.createElementNS(this.ns, q);
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined) e.setAttribute(k, String(v));
    if (text !== undefined) e.appendChild(this.doc.createTextNode(text));
    if (parent) parent.appendChild(e);
    return e;
  }
}

function childElements(parent: Element, ns: string | null, local: string): Element[] {
  const out: Element[] = [];
  for (let c = parent.firstChild; c; c = c.nextSibling) {
    if (c.nodeType === 1 && (c as Element).localName === local && (c as Element).namespaceURI === ns) out.push(c as Element);
  }
  return out;
}

function descendants(parent: Element, ns: string | null, local: string): Element[] {
  return Array.from(parent.getElementsByTagNameNS(ns ?? "", local) as unknown as Element[]);
}

interface Box4 {
  vpos: number;
  hpos: number;
  height: number;
  width: number;
}

function union(ps: Box4, b: Box4): Box4 {
  const bottom = Math.max(ps.vpos + ps.height, b.vpos + b.height);
  const right = Math.max(ps.hpos + ps.width, b.hpos + b.width);
  const vpos = Math.min(ps.vpos, b.vpos);
  const hpos = Math.min(ps.hpos, b.hpos);
  return { vpos, hpos, height: bottom - vpos, width: right - hpos };
}

/** §4.1.1: characters replaced by `_` in the Page ID. */
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

// ---- mode B text ------------------------------------------------------------------------------

function writeTextBlock(A: Maker, printSpace: Element, region: TextRegion): Box4 | null {
  const xs = region.polygon.map((p) => p[0]);
  const ys = region.polygon.map((p) => p[1]);
  if (xs.length === 0) return null;
  const x1 = Math.trunc(Math.min(...xs)),
    y1 = Math.trunc(Math.min(...ys));
  const box: Box4 = { hpos: x1, vpos: y1, width: Math.trunc(Math.max(...xs)) - x1, height: Math.trunc(Math.max(...ys)) - y1 };
  const tb = A.el(printSpace, "TextBlock", {
    ID: `block_${region.id}`,
    HEIGHT: box.height,
    WIDTH: box.width,
    VPOS: box.vpos,
    HPOS: box.hpos,
  });
  const lines = region.lines;
  const words = lines.map((l) => l.transcription.split(/\s+/).filter(Boolean));
  for (let li = 0; li < lines.length; li++) {
    const line = lines[li]!;
    const w = words[li]!;
    if (w.length === 0) continue;
    const bb = polygonBBox(line.polygon);
    const lh = bb.y2 - bb.y1,
      lw = bb.x2 - bb.x1;
    const tl = A.el(tb, "TextLine", {
      ID: `line_${line.id}`,
      BASELINE: line.baseline.map(([x, y]) => `${pyRound(x)},${pyRound(y)}`).join(" "),
      VPOS: bb.y1,
      HPOS: bb.x1,
      HEIGHT: lh,
      WIDTH: lw,
    });
    const prev = li > 0 ? words[li - 1]! : null;
    const next = li + 1 < lines.length ? words[li + 1]! : null;
    const prevWord = prev?.length ? prev[prev.length - 1]! : null;
    for (let i = 0; i < w.length; i++) {
      const word = w[i]!;
      const real = line.words?.[i];
      const attrs: Attrs =
        real && line.words!.length === w.length
          ? {
              CONTENT: word,
              HEIGHT: real.y2 - real.y1,
              WIDTH: real.x2 - real.x1,
              VPOS: real.y1,
              HPOS: real.x1,
              WC: real.confidence.toFixed(2),
            }
          : (() => {
              // pero-ocr fallback geometry (§4.1.1 quirk, the fixtures depend on it)
              const a = (bb.x1 + lw) / w.length;
              return { CONTENT: word, HEIGHT: lh, WIDTH: Math.trunc(a), VPOS: bb.y1, HPOS: Math.trunc(bb.x1 + i * a) };
            })();
      // §4.1.1: the first word after a non-blank line is only ever a HypPart2 candidate (pero-ocr's if/elif), even
      // when it is also the line's last word
      if (i === 0 && prevWord) {
        if (prevWord.endsWith("-")) {
          attrs.SUBS_CONTENT = prevWord.slice(0, -1) + word;
          attrs.SUBS_TYPE = "HypPart2";
        }
      } else if (i === w.length - 1 && word.endsWith("-") && next?.length) {
        attrs.SUBS_CONTENT = word.slice(0, -1) + next[0]!;
        attrs.SUBS_TYPE = "HypPart1";
      }
      A.el(tl, "String", attrs);
    }
  }
  return box;
}

// ---- tags and MODS ----------------------------------------------------------------------------

function isPlain(v: unknown): v is string {
  return typeof v === "string";
}

function perLang<T>(v: { eng: T | null; cze: T | null }): [string, T][] {
  const out: [string, T][] = [];
  if (v.eng !== null && v.eng !== undefined) out.push(["eng", v.eng]);
  if (v.cze !== null && v.cze !== undefined) out.push(["cze", v.cze]);
  return out;
}

function writeTitle(M: Maker, mods: Element, title: LangValue | undefined): void {
  if (title === undefined) return;
  const ti = M.el(mods, "titleInfo", { altRepGroup: "title-1" });
  if (isPlain(title)) M.el(ti, "title", {}, title);
  else for (const [lang, t] of perLang(title)) M.el(ti, "title", { lang }, t);
}

function writeRecordInfo(
  M: Maker,
  mods: Element,
  confidence: number | null,
  models: [string, string][],
  recordId: string,
  ids: IdServices,
  source: string,
): void {
  const ri = M.el(mods, "recordInfo");
  M.el(ri, "recordCreationDate", {}, ids.recordCreationDate());
  M.el(ri, "recordContentSource", {}, source);
  M.el(ri, "descriptionStandard", {}, "StandardNDK");
  M.el(ri, "recordOrigin", {}, "machine-generated");
  if (confidence !== null && confidence !== undefined) M.el(ri, "recordInfoNote", { type: "confidence" }, confidence.toFixed(3));
  for (const [role, model] of models) M.el(ri, "recordInfoNote", { type: role }, model);
  M.el(ri, "recordIdentifier", { source: "AnnoPage" }, `uuid:${recordId}`);
  const lc = M.el(ri, "languageOfCataloging");
  M.el(lc, "languageTerm", { authority: "iso639-2b" }, "eng");
  M.el(lc, "languageTerm", { authority: "iso639-2b" }, "cze");
}

function topicList(v: string | string[]): string[] {
  return (typeof v === "string" ? v.split(",") : v).map((t) => t.trim());
}

function writeLayoutTag(
  A: Maker,
  M: Maker,
  tags: Element,
  el: ElementRegion,
  meta: GraphicalMetadata,
  ids: IdServices,
  source: string,
): void {
  const cat = categoryByLabel(el.category);
  const tag = A.el(tags, "LayoutTag", {
    ID: meta.tagId,
    TYPE: "Structural",
    LABEL: cat?.label ?? el.category,
    DESCRIPTION: meta.tagDescription,
  });
  const xd = A.el(tag, "XmlData");
  const mods = M.el(xd, "mods", { ID: meta.modsId });
  writeTitle(M, mods, meta.title ?? meta.captionRecord?.title);
  M.el(mods, "typeOfResource", {}, cat?.typeOfResource ?? "still image");
  if (cat) {
    M.el(mods, "genre", { altRepGroup: "genre-1", lang: "eng" }, cat.genreEng);
    M.el(mods, "genre", { altRepGroup: "genre-1", lang: "cze" }, cat.genreCze);
  }
  const bb = polygonBBox(el.polygon);
  const pd = M.el(mods, "physicalDescription");
  M.el(pd, "extent", { unit: "pixels" }, `${bb.x2 - bb.x1}x${bb.y2 - bb.y1}`);
  if (meta.color !== undefined) {
    const items: [string, string][] = isPlain(meta.color) ? [["", meta.color]] : perLang(meta.color);
    for (const [lang, c] of items) M.el(M.el(mods, "physicalDescription", { altRepGroup: "color-1" }), "form", { type: "color", lang }, c);
  }
  if (meta.caption !== undefined) {
    const items: [string, string][] = isPlain(meta.caption) ? [["", meta.caption]] : perLang(meta.caption);
    for (const [lang, c] of items) M.el(mods, "abstract", { altRepGroup: "caption-1", type: "caption", lang }, c);
  }
  if (meta.description !== undefined) {
    if (isPlain(meta.description)) M.el(mods, "abstract", { altRepGroup: "description-1", type: "description" }, meta.description);
    else
      for (const [lang, d] of perLang(meta.description))
        M.el(mods, "abstract", { altRepGroup: "description-1", type: "description", lang }, d);
  }
  if (meta.topics !== undefined) {
    const t: LangTopics = meta.topics;
    const items: [string, string | string[]][] = typeof t === "string" || Array.isArray(t) ? [["", t]] : perLang<string | string[]>(t);
    for (const [lang, v] of items) {
      topicList(v).forEach((topic, k) => M.el(M.el(mods, "subject", { altRepGroup: `subject-${k + 1}` }), "topic", { lang }, topic));
    }
  }
  M.el(mods, "identifier", { type: "uuid" }, `uuid:${meta.modsUuid}`);
  if (meta.captionRecord) M.el(mods, "relatedItem", { type: "constituent", IDREF: meta.captionRecord.modsId });
  writeRecordInfo(M, mods, el.confidence, meta.usedAiModels, meta.recordId, ids, source);
}

function writeCaptionTag(A: Maker, M: Maker, tags: Element, el: ElementRegion, rec: CaptionRecord, ids: IdServices, source: string): void {
  const tag = A.el(tags, "StructureTag", { ID: rec.tagId, TYPE: "Functional", LABEL: "FigureCaption", DESCRIPTION: rec.description });
  const mods = M.el(A.el(tag, "XmlData"), "mods", { ID: rec.modsId });
  writeTitle(M, mods, rec.title);
  M.el(mods, "typeOfResource", {}, "text");
  M.el(mods, "genre", { altRepGroup: "genre-1", type: "part" }, "figureCaption");
  M.el(mods, "genre", { altRepGroup: "genre-1", lang: "eng", type: "part" }, "caption");
  M.el(mods, "genre", { altRepGroup: "genre-1", lang: "cze", type: "part" }, "popisek");
  M.el(mods, "identifier", { type: "uuid" }, `uuid:${rec.modsUuid}`);
  M.el(mods, "relatedItem", { type: "host", IDREF: el.meta!.modsId });
  writeRecordInfo(M, mods, el.confidence, rec.usedAiModels, rec.recordId, ids, source);
}

// ---- §4.1.6 post-processing ---------------------------------------------------------------------

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
