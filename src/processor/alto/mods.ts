/** The tags of the ALTO writer (write.ts, docs/processor.md §4.1): an element's LayoutTag and its caption's StructureTag, each with its MODS record. */
import type { Element } from "@xmldom/xmldom";
import { categoryByLabel } from "../categories.ts";
import {
  polygonBBox,
  type CaptionRecord,
  type ElementRegion,
  type GraphicalMetadata,
  type IdServices,
  type LangTopics,
  type LangValue,
} from "../layout.ts";
import type { Maker } from "./dom.ts";

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

export function writeLayoutTag(
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
      for (const [k, topic] of topicList(v).entries())
        M.el(M.el(mods, "subject", { altRepGroup: `subject-${k + 1}` }), "topic", { lang }, topic);
    }
  }
  M.el(mods, "identifier", { type: "uuid" }, `uuid:${meta.modsUuid}`);
  if (meta.captionRecord) M.el(mods, "relatedItem", { type: "constituent", IDREF: meta.captionRecord.modsId });
  writeRecordInfo(M, mods, el.confidence, meta.usedAiModels, meta.recordId, ids, source);
}

export function writeCaptionTag(
  A: Maker,
  M: Maker,
  tags: Element,
  el: ElementRegion,
  rec: CaptionRecord,
  ids: IdServices,
  source: string,
): void {
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
