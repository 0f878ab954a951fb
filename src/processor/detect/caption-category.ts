/**
 * The category a figure's caption names: "Map 3.", "Obr. 21. Půdorys přízemí", "Abb. 4: Schaltplan",
 * "Fig. 2: Circles and tangents" … Caption words are general evidence (they do not depend on how the picture is
 * drawn), so a caption that names a category decides it for the drawn-figure family (see CAPTION_DECIDES).
 *
 * Keywords are English, Czech and German stems, matched on lower-cased text without diacritics (OCR often drops
 * them); the category of the keyword that comes first in the caption wins (the head noun leads: "Map of the
 * ground floor" is a map, "Plan of the city" a map). Generic openers (Fig., Obr., Abb., Figure) name nothing.
 */
import type { CategoryLabel } from "./types.ts";

// `\b` = start of a word; patterns are matched against diacritic-free lower case
const KEYWORDS: [CategoryLabel, RegExp][] = [
  [
    "Map",
    /\b(maps?|mapa|mapy|mape|mapu|mapou|mapk[auy]|mapach|(land|stadt|uber(sichts)?|wander|see|strassen)?kart(e|en)|atlas|stadtplan|plan (of )?(the )?(city|town)|plan mesta|topogra\w*|kartogra\w*|cartogra\w*)\b/,
  ],
  [
    "Floor plan",
    /\b(floor ?plans?|ground ?plans?|plans?|plan[uy]?|planek|pudorys\w*|grundriss\w*|grundri\w*|(erd|ober|unter|dach)?geschoss\w*|stockwerk\w*|prizemi|podlazi|patr[ao]|floors?|storey|room layout|dispozice)\b/,
  ],
  ["Table", /\b(tables?|tab|tabulk[aeyu]|tabell[ea]n?)\b/],
  ["Photograph", /\b(photo(graph)?s?|foto(grafie|grafi[ei])?|snim(ek|ku)|aufnahmen?|lichtbild\w*)\b/],
  // (flow charts and block diagrams are diagrams: before the chart words)
  [
    "Diagram",
    /\b(diagrams?|flow ?charts?|flussdiagramm\w*|blockdiagramm\w*|schema\w*|schemat\w*|schematic\w*|schemes?|schaltplan\w*|schaltbild\w*|schaltung\w*|circuits?|obvod\w*|zapojeni|genealog\w*|family tree|rodokmen\w*|stammbaum\w*|tree|strom|hierarch\w*|organi[sz]ation chart|struktur[ae]?|structure|flows?|proces[su]?|prozess\w*|cycle|cykl\w*|zyklus|optic\w*|opti[ck]\w*|paprs\w*|strahlengang|rays?|experiment\w*|apparatus|aparatur\w*|versuch\w*|block)\b/,
  ],
  [
    "Graph",
    /\b(graphs?|charts?|plots?|graf[uye]?|grafy|grafik|diagramm\w*|histogram\w*|kurv\w*|curves?|krivk\w*|statisti\w*|trend|rozlozeni|distribution|verteilung|vyvoj|development of|entwicklung|comparison|srovnani|vergleich|share of|podil)\b/,
  ],
  [
    "Geometric drawing",
    /\b(geometr\w*|circles?|kruznic\w*|kruh\w*|kreis\w*|triangles?|trojuhelnik\w*|dreieck\w*|tangent\w*|tecn[aeyu]\w*|angles?|uhl[uy]|uhel|winkel\w*|polygon\w*|mnohouhelnik\w*|vieleck\w*|ellips\w*|elips\w*|parabol\w*|hyperbol\w*|euklid\w*|euclid\w*|bisector|perpendicular|kolmic\w*|konstruk\w*|construction|theorem|vet[ay] o|satz des)\b/,
  ],
  [
    "Other technical drawing",
    /\b(technical drawing|techni(ck|sch)\w*|vykres\w*|zeichnung|wiring|breadboard|nepajiv\w*|steckplatine|machines?|stroj\w*|maschine\w*|engines?|motor\w*|mechani\w*|gears?|ozuben\w*|zahnr\w*|cross[- ]sections?|sections?|rez[uy]?|schnitt\w*|assembly|sestav\w*|baugruppe|components?|soucast\w*|bauteil\w*|devices?|zarizeni|gerat\w*|elevation|narys|bokorys|aufriss)\b/,
  ],
  ["Caricature and comics", /\b(caricature\w*|cartoons?|comics?|karikatur\w*|komiks\w*)\b/],
  ["Advertisement", /\b(advertisement\w*|advert|inzerat\w*|reklam\w*|anzeige\w*|werbung)\b/],
  ["Musical notation", /\b(musical notation|sheet music|score of|notov\w*|noten\w*|notenschrift|melod\w*)\b/],
  ["Symbol, logo, coat of arms", /\b(coat of arms|logos?|emblem\w*|wappen\w*)\b/],
  ["Exlibris", /\b(ex ?libris)\b/],
  ["Barcode and QR code", /\b(bar ?codes?|qr ?code\w*|carov\w* kod\w*|strichcode\w*)\b/],
];

/** Lower case without diacritics (ß → ss), so "Půdorys" and an OCR'd "Pudorys" read alike. */
function foldText(text: string): string {
  return text
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/ß/g, "ss")
    .toLowerCase();
}

/** The category named by a caption (the earliest keyword), or undefined when it names none. */
export function categoryFromCaption(text: string): CategoryLabel | undefined {
  const t = foldText(text);
  let best: CategoryLabel | undefined;
  let at = Infinity;
  for (const [category, re] of KEYWORDS) {
    const m = re.exec(t);
    if (m && m.index < at) {
      best = category;
      at = m.index;
    }
  }
  return best;
}

/**
 * Visual categories a caption may overrule: the drawn-figure family, whose members look alike to pixel statistics
 * (line art, charts, maps, plans), plus Photograph (a colour map or a shaded drawing looks like a photograph) and
 * Table. Decorations, stamps and handwriting carry no captions; a caption near one belongs to something else.
 */
export const CAPTION_DECIDES: ReadonlySet<CategoryLabel> = new Set<CategoryLabel>([
  "Image",
  "Graph",
  "Map",
  "Floor plan",
  "Diagram",
  "Geometric drawing",
  "Other technical drawing",
  "Photograph",
  "Table",
]);
