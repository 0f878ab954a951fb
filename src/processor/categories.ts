/**
 * The one table of the 25 element categories (docs/processor.md §3.4); every name of a category
 * anywhere comes from here:
 *  - `label`, the English label, is THE name of the category: ALTO `ComposedBlock@TYPE` and
 *    `LayoutTag@LABEL`, the PAGE XML `custom` category, the detector's verdict, the demo summary and
 *    the box captions of renders;
 *  - `genreEng`, the MODS genre, is only an identifier prefix the spec fixes: tag/region ids
 *    `<genreEng>_<NNN>` (so crop and prompt file names, `<page id>_chart_001.jpg`), `mods:genre`,
 *    the embedding `category`. Where a user sees such an id, the label is shown next to it
 *    (`fileNamePrefix` says which files belong to a category);
 *  - `czech`, `genreCze`: the Czech label and genre; `typeOfResource`: MODS;
 *  - `captionWords`, `drawnFigure`, `captionDecides`: what the built-in detector knows of it (DETECTOR_TRAITS).
 * Label lookup is exact (case-sensitive), English or Czech.
 */
export interface CategoryInfo {
  id: number;
  label: CategoryLabel;
  czech: string;
  genreEng: string;
  genreCze: string;
  typeOfResource: "still image" | "cartographic";
  /** The built-in detector's knowledge of the category (DETECTOR_TRAITS below). */
  captionWords: RegExp | null;
  drawnFigure: boolean;
  captionDecides: boolean;
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

/**
 * What the built-in detector (src/processor/detect/) knows of a category besides its names:
 *  - `captionWords`: the words by which a figure's caption names the category ("Map 3.", "Obr. 21. Půdorys přízemí",
 *    "Abb. 4: Schaltplan"): English, Czech and German stems, matched on lower-cased text without diacritics (`\b` =
 *    start of a word); the earliest word in a caption wins, at the same place the category earlier in the table
 *    (detect/caption-category.ts);
 *  - `drawnFigure`: drawn figures, whose separate parts (a plate and a gear, two halves of a diagram) make one figure
 *    (detect/join.ts);
 *  - `captionDecides`: a caption naming a category overrules the pixels' verdict for these: the drawn figures, which
 *    look alike to pixel statistics, Graph, Photograph (a colour map or a shaded drawing looks like one) and Table.
 *    Decorations, stamps and handwriting carry no captions; a caption near one belongs to something else.
 */
const DETECTOR_TRAITS: Partial<Record<CategoryLabel, { captionWords?: RegExp; drawnFigure?: true; captionDecides?: true }>> = {
  "Barcode and QR code": { captionWords: /\b(bar ?codes?|qr ?code\w*|carov\w* kod\w*|strichcode\w*)\b/ },
  Exlibris: { captionWords: /\b(ex ?libris)\b/ },
  Photograph: { captionWords: /\b(photo(graph)?s?|foto(grafie|grafi[ei])?|snim(ek|ku)|aufnahmen?|lichtbild\w*)\b/, captionDecides: true },
  Graph: {
    captionWords:
      /\b(graphs?|charts?|plots?|graf[uye]?|grafy|grafik|diagramm\w*|histogram\w*|kurv\w*|curves?|krivk\w*|statisti\w*|trend|rozlozeni|distribution|verteilung|vyvoj|development of|entwicklung|comparison|srovnani|vergleich|share of|podil)\b/,
    captionDecides: true,
  },
  "Caricature and comics": { captionWords: /\b(caricature\w*|cartoons?|comics?|karikatur\w*|komiks\w*)\b/ },
  Map: {
    captionWords:
      /\b(maps?|mapa|mapy|mape|mapu|mapou|mapk[auy]|mapach|(land|stadt|uber(sichts)?|wander|see|strassen)?kart(e|en)|atlas|stadtplan|plan (of )?(the )?(city|town)|plan mesta|topogra\w*|kartogra\w*|cartogra\w*)\b/,
    drawnFigure: true,
    captionDecides: true,
  },
  "Musical notation": { captionWords: /\b(musical notation|sheet music|score of|notov\w*|noten\w*|notenschrift|melod\w*)\b/ },
  Advertisement: { captionWords: /\b(advertisement\w*|advert|inzerat\w*|reklam\w*|anzeige\w*|werbung)\b/ },
  "Symbol, logo, coat of arms": { captionWords: /\b(coat of arms|logos?|emblem\w*|wappen\w*)\b/ },
  Table: { captionWords: /\b(tables?|tab|tabulk[aeyu]|tabell[ea]n?)\b/, captionDecides: true },
  "Floor plan": {
    captionWords:
      /\b(floor ?plans?|ground ?plans?|plans?|plan[uy]?|planek|pudorys\w*|grundriss\w*|grundri\w*|(erd|ober|unter|dach)?geschoss\w*|stockwerk\w*|prizemi|podlazi|patr[ao]|floors?|storey|room layout|dispozice)\b/,
    drawnFigure: true,
    captionDecides: true,
  },
  Diagram: {
    captionWords:
      /\b(diagrams?|flow ?charts?|flussdiagramm\w*|blockdiagramm\w*|schema\w*|schemat\w*|schematic\w*|schemes?|schaltplan\w*|schaltbild\w*|schaltung\w*|circuits?|obvod\w*|zapojeni|genealog\w*|family tree|rodokmen\w*|stammbaum\w*|tree|strom|hierarch\w*|organi[sz]ation chart|struktur[ae]?|structure|flows?|proces[su]?|prozess\w*|cycle|cykl\w*|zyklus|optic\w*|opti[ck]\w*|paprs\w*|strahlengang|rays?|experiment\w*|apparatus|aparatur\w*|versuch\w*|block)\b/,
    drawnFigure: true,
    captionDecides: true,
  },
  "Geometric drawing": {
    captionWords:
      /\b(geometr\w*|circles?|kruznic\w*|kruh\w*|kreis\w*|triangles?|trojuhelnik\w*|dreieck\w*|tangent\w*|tecn[aeyu]\w*|angles?|uhl[uy]|uhel|winkel\w*|polygon\w*|mnohouhelnik\w*|vieleck\w*|ellips\w*|elips\w*|parabol\w*|hyperbol\w*|euklid\w*|euclid\w*|bisector|perpendicular|kolmic\w*|konstruk\w*|construction|theorem|vet[ay] o|satz des)\b/,
    drawnFigure: true,
    captionDecides: true,
  },
  "Other technical drawing": {
    captionWords:
      /\b(technical drawing|techni(ck|sch)\w*|vykres\w*|zeichnung|wiring|breadboard|nepajiv\w*|steckplatine|machines?|stroj\w*|maschine\w*|engines?|motor\w*|mechani\w*|gears?|ozuben\w*|zahnr\w*|cross[- ]sections?|sections?|rez[uy]?|schnitt\w*|assembly|sestav\w*|baugruppe|components?|soucast\w*|bauteil\w*|devices?|zarizeni|gerat\w*|elevation|narys|bokorys|aufriss)\b/,
    drawnFigure: true,
    captionDecides: true,
  },
  Image: { drawnFigure: true, captionDecides: true },
};

export const CATEGORIES: readonly CategoryInfo[] = ROWS.map(([label, czech, genreEng, genreCze], i) => ({
  id: i + 1,
  label,
  czech,
  genreEng,
  genreCze,
  typeOfResource: label === "Map" ? "cartographic" : "still image",
  captionWords: DETECTOR_TRAITS[label]?.captionWords ?? null,
  drawnFigure: DETECTOR_TRAITS[label]?.drawnFigure ?? false,
  captionDecides: DETECTOR_TRAITS[label]?.captionDecides ?? false,
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

/** Like categoryByLabel but throws for an unknown label (a page with such a region fails, docs/processor.md §3.3 step 2). */
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
