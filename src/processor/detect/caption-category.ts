/**
 * The category a figure's caption names: "Map 3.", "Obr. 21. Půdorys přízemí", "Abb. 4: Schaltplan",
 * "Fig. 2: Circles and tangents" … Caption words are general evidence (they do not depend on how the picture is
 * drawn), so a caption that names a category decides it for the drawn-figure family (see CAPTION_DECIDES).
 *
 * The words are the categories' `captionWords` (src/processor/categories.ts), matched on lower-cased text without
 * diacritics (OCR often drops them); the category of the word that comes first in the caption wins (the head noun
 * leads: "Map of the ground floor" is a map, "Plan of the city" a map). Generic openers (Fig., Obr., Abb., Figure)
 * name nothing.
 */
import { CATEGORIES } from "../categories.ts";
import type { CategoryLabel } from "./types.ts";

// in table order: at the same place in a caption the category earlier in the table wins ("plan of the city": Map)
const KEYWORDS: [CategoryLabel, RegExp][] = CATEGORIES.flatMap((c) =>
  c.captionWords ? [[c.label, c.captionWords] as [CategoryLabel, RegExp]] : [],
);

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

/** Visual categories a caption may overrule (`captionDecides` in src/processor/categories.ts). */
export const CAPTION_DECIDES: ReadonlySet<CategoryLabel> = new Set(CATEGORIES.filter((c) => c.captionDecides).map((c) => c.label));
