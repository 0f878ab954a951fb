/**
 * The one table of the 25 element categories (annopage-tool.md §3.4); every name of a category
 * anywhere comes from here:
 *  - `label`, the English label, is THE name of the category: ALTO `ComposedBlock@TYPE` and
 *    `LayoutTag@LABEL`, the PAGE XML `custom` category, the detector's verdict, the demo summary and
 *    the box captions of renders;
 *  - `genreEng`, the MODS genre, is only an identifier prefix the spec fixes: tag/region ids
 *    `<genreEng>_<NNN>` (so crop and prompt file names, `<page id>_chart_001.jpg`), `mods:genre`,
 *    the embedding `category`. Where a user sees such an id, the label is shown next to it
 *    (`fileNamePrefix` says which files belong to a category);
 *  - `czech`, `genreCze`: the Czech label and genre; `typeOfResource`: MODS.
 * Label lookup is exact (case-sensitive), English or Czech.
 */
export interface CategoryInfo {
  id: number;
  label: CategoryLabel;
  czech: string;
  genreEng: string;
  genreCze: string;
  typeOfResource: "still image" | "cartographic";
}

const ROWS = [
  ["Barcode and QR code", "Čárový a QR kód", "barcode", "čárovýKód"],
  ["Exlibris", "Exlibris", "exlibris", "exlibris"],
  ["Photograph", "Fotografie", "photograph", "fotografie"],
  ["Graph", "Graf", "chart", "graf"],
  ["Caricature and comics", "Karikatura a komiks", "cartoon", "karikatura"],
  ["Vignette", "Viněta", "vignette", "viněta"],
  ["Frieze", "Vlys", "frieze", "vlys"],
  ["Initial", "Iniciála", "initial", "iniciála"],
  ["Signet", "Signet", "signet", "signet"],
  ["Other book decor", "Ostatní knižní dekor", "otherDecoration", "ostatníDekorace"],
  ["Map", "Mapa", "map", "mapa"],
  ["Musical notation", "Notový zápis", "sheetMusic", "notovýZápis"],
  ["Decorative inscription", "Ozdobný nápis", "decorativeInscription", "ozdobnýNápis"],
  ["Stamp", "Razítko", "stamp", "razítko"],
  ["Advertisement", "Reklama", "advertisement", "reklama"],
  ["Handwritten note", "Rukopisné vpisky", "handwrittenInscriptions", "rukopisnéVpisky"],
  ["Symbol, logo, coat of arms", "Symbol, logo, erb", "symbol", "symbol"],
  ["Table", "Tabulka", "table", "tabulka"],
  ["Floor plan", "Půdorys", "technicalDrawing", "technickýVýkres"],
  ["Diagram", "Schéma", "schema", "schéma"],
  ["Geometric drawing", "Geometrický výkres", "geometricDrawing", "geometrickýVýkres"],
  ["Other technical drawing", "Ostatní technické výkresy", "otherTechnicalDrawing", "ostatníTechnickéVýkresy"],
  ["Mathematical expression and equation", "Matematický výraz a rovnice", "mathematicalFormula", "matematickáFormule"],
  ["Chemical formula and equation", "Chemický vzorec a rovnice", "chemicalFormula", "chemickáFormule"],
  ["Image", "Obrázek", "image", "obrázek"],
] as const satisfies readonly (readonly [string, string, string, string])[];

/** English labels in table order (id = index + 1). */
export const CATEGORY_LABELS: readonly CategoryLabel[] = ROWS.map((r) => r[0]);
export type CategoryLabel = (typeof ROWS)[number][0];

export const CATEGORIES: readonly CategoryInfo[] = ROWS.map(([label, czech, genreEng, genreCze], i) => ({
  id: i + 1,
  label,
  czech,
  genreEng,
  genreCze,
  typeOfResource: label === "Map" ? "cartographic" : "still image",
}));

const BY_LABEL = new Map<string, CategoryInfo>();
for (const c of CATEGORIES) {
  BY_LABEL.set(c.label, c);
  BY_LABEL.set(c.czech, c);
}

/** The table id (1–25) of an English label. */
export function categoryId(label: CategoryLabel): number {
  return CATEGORY_LABELS.indexOf(label) + 1;
}

/** How the files of a category's elements begin after the page id: `<genre>_` (crops `<page id>_chart_001.jpg`). */
export function fileNamePrefix(c: CategoryInfo): string {
  return `${c.genreEng}_`;
}

/** The category of an English or Czech label (exact match), or undefined. */
export function categoryByLabel(label: string): CategoryInfo | undefined {
  return BY_LABEL.get(label);
}

/** Like categoryByLabel but throws for an unknown label (a page with such a region fails, §3.3 step 2). */
export function requireCategory(label: string): CategoryInfo {
  const c = BY_LABEL.get(label);
  if (!c) throw new Error(`Unknown element category '${label}'`);
  return c;
}

/** True when `label` passes an engine's CATEGORIES filter (null = no filter; comparison lower-cased). */
export function passesFilter(label: string, filter: readonly string[] | null): boolean {
  if (!filter) return true;
  const l = label.toLowerCase();
  return filter.some((f) => f.toLowerCase() === l);
}
