/**
 * ALTO writer against the reference fixtures (docs/processor.md §6): same layouts as the reference
 * tests, frozen UUIDs and clocks, compared the xmltodict way; plus mode A (merge) behaviour and
 * well-formedness checked by xmllint.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writeAlto } from "../../src/processor/alto/write.ts";
import { boxPolygon, type ElementRegion, type Layout, type TextRegion } from "../../src/processor/layout.ts";
import { firstDifference, xmlDict } from "../helpers/xmldict.ts";
import { REFERENCE_CREDITS } from "../helpers/reference-credits.ts";
import { ALTO_SUBSET_XSD, danglingTagRefs, xmllint, xmllintCheck } from "../helpers/xmllint.ts";
import { REPO } from "../helpers/cli.ts";
import { SHARED } from "../helpers/shared.ts";
import { frozen, initialPageRegions, line } from "../helpers/reference-layout.ts";

const FIX = `${SHARED}/fixtures/annopage-alto`;
const fixturePath = (name: string) => `${FIX}/${name}`;
function imageElement(withMeta: boolean): ElementRegion {
  return {
    kind: "element",
    id: "image_region",
    category: "Image",
    confidence: 0.9,
    polygon: [
      [10, 20],
      [10, 100],
      [80, 100],
      [80, 20],
    ],
    meta: withMeta
      ? {
          tagId: "image_001",
          modsId: "MODS_PICT_0001",
          modsUuid: frozen.uuid(),
          recordId: frozen.uuid(),
          usedAiModels: [],
          prompts: [],
          title: "Fig. 1: Overview",
          description: { eng: "This is a description of an image", cze: "Toto je popis obrázku" },
          caption: { eng: "This is a caption of an image", cze: "Toto je titulek obrázku" },
          color: { eng: "grayscale", cze: "černobílý" },
          topics: { eng: ["topic1", "topic2"], cze: ["topic1", "topic2"] },
        }
      : null,
  };
}

function textRegion(): TextRegion {
  const lines = [1, 2, 3, 4].map((n) => line(`line${n}`, `This is line no. ${n}.`, 10, 100 + 20 * n, 200, 120 + 20 * n));
  return { kind: "text", id: "text_region", polygon: boxPolygon(10, 120, 200, 200).slice(0, 4), lines };
}

function page(regions: Layout["regions"]): Layout {
  return { id: "test_page", width: 210, height: 297, regions };
}

function expectMatches(xml: string, fixture: string) {
  const want = xmlDict(readFileSync(fixturePath(fixture), "utf8"));
  const got = xmlDict(xml);
  expect(firstDifference(got, want)).toBeNull();
  xmllintCheck(xml);
}

describe("hyphenation (§4.1.1)", () => {
  test("HypPart1 on a line's last word and HypPart2 on the next line's first; a first word after a non-blank line is never HypPart1", () => {
    const texts = ["first line ends", "hyphen-", "ated word and a split-", "ting end", "", "alone-", "after blank"];
    const lines = texts.map((t, i) => line(`l${i}`, t, 10, 10 + 20 * i, 200, 28 + 20 * i));
    const xml = writeAlto(page([{ kind: "text", id: "t", polygon: boxPolygon(10, 10, 200, 160).slice(0, 4), lines }]), {
      ids: frozen,
      credits: REFERENCE_CREDITS,
    });
    const subs = [...xml.matchAll(/<String CONTENT="([^"]+)"[^>]*?(?: SUBS_CONTENT="([^"]+)" SUBS_TYPE="(HypPart[12])")?\/>/g)]
      .filter((m) => m[2])
      .map((m) => [m[1], m[2], m[3]]);
    expect(subs).toEqual([
      // "hyphen-" is the only word of a line that follows a non-blank line: no HypPart1 (pero-ocr's if/elif)
      ["ated", "hyphenated", "HypPart2"],
      ["split-", "splitting", "HypPart1"],
      ["ting", "splitting", "HypPart2"],
      // after a blank line the first word may be HypPart1
      ["alone-", "aloneafter", "HypPart1"],
      ["after", "aloneafter", "HypPart2"],
    ]);
    xmllintCheck(xml);
  });
});

describe("ALTO mode B against the reference fixtures", () => {
  test("alto_image_no_metadata", () => {
    const xml = writeAlto(page([imageElement(false)]), { ids: frozen, credits: REFERENCE_CREDITS });
    expect(xml.startsWith("<?xml version='1.0' encoding='utf-8'?>\n<alto ")).toBe(true);
    expectMatches(xml, "alto_image_no_metadata.xml");
  });

  test("alto_image_with_basic_metadata", () => {
    expectMatches(writeAlto(page([imageElement(true)]), { ids: frozen, credits: REFERENCE_CREDITS }), "alto_image_with_basic_metadata.xml");
  });

  test("alto_image_with_basic_metadata_and_text_lines (pero word-width quirk)", () => {
    const img = imageElement(true);
    img.meta!.title = "This is line no. 2";
    expectMatches(
      writeAlto(page([img, textRegion()]), { ids: frozen, credits: REFERENCE_CREDITS }),
      "alto_image_with_basic_metadata_and_text_lines.xml",
    );
  });

  for (const [fixture, models] of [
    ["alto_image_with_basic_metadata_and_text_lines_tagrefs.xml", []],
    ["alto_image_with_basic_metadata_and_text_lines_tagrefs_ai_models.xml", [["element-detection", "annopage-yolo-1.0"]]],
  ] as const) {
    test(fixture, () => {
      const img = imageElement(true);
      img.meta!.title = "This is line no. 2";
      img.meta!.usedAiModels = models.map(([a, b]) => [a, b]);
      img.meta!.captionRecord = {
        tagId: "fc.image_001",
        modsId: "MODS_PICT_0001_CAPTION_0001",
        modsUuid: frozen.uuid(),
        recordId: frozen.uuid(),
        lineIds: ["line2"],
        description: "This is line no. 2.",
        title: { eng: "This is line no. 2.", cze: null },
        usedAiModels: [],
      };
      expectMatches(writeAlto(page([img, textRegion()]), { ids: frozen, credits: REFERENCE_CREDITS }), fixture);
    });
  }

  for (const [fixture, space] of [
    ["alto_initial_no_space.xml", false],
    ["alto_initial_with_space.xml", true],
  ] as const) {
    test(fixture, () => {
      const regions = initialPageRegions({
        transcription: space ? "XXX " : "XXX",
        meta: {
          tagId: "initial_001",
          modsId: "MODS_PICT_0001",
          modsUuid: frozen.uuid(),
          recordId: frozen.uuid(),
          usedAiModels: [["initial-recognition", "openai/gpt-5.4-mini"]],
          prompts: [],
          tagDescription: "XXX",
          continuingLineId: "line2",
        },
      });
      expectMatches(writeAlto(page(regions), { ids: frozen, credits: REFERENCE_CREDITS }), fixture);
    });
  }

  test("the comparison can fail: a wrong confidence is detected", () => {
    const img = imageElement(true);
    img.confidence = 0.8;
    const want = xmlDict(readFileSync(fixturePath("alto_image_with_basic_metadata.xml"), "utf8"));
    expect(firstDifference(xmlDict(writeAlto(page([img]), { ids: frozen, credits: REFERENCE_CREDITS })), want)).toContain("0.800");
  });
});

describe("ALTO mode A (merge into an input ALTO)", () => {
  const input = readFileSync(fixturePath("alto_image_with_basic_metadata_and_text_lines.xml"), "utf8")
    // strip the element so the input is a text-only OCR ALTO
    .replace(/<Tags>[\s\S]*<\/Tags>/, "<Tags/>")
    .replace(/<ComposedBlock[\s\S]*?<\/ComposedBlock>/, "")
    .replace(/ xmlns:mods="[^"]*"/, "");

  test("keeps every input String, adds the element, declares mods, recomputes PrintSpace", () => {
    const el = imageElement(true);
    el.polygon = boxPolygon(100, 10, 150, 60);
    const layout = page([el]);
    const xml = writeAlto(layout, { ids: frozen, credits: REFERENCE_CREDITS, inputAlto: input });
    const inStrings = input.match(/<String /g)!.length;
    expect(xml.match(/<String /g)!.length).toBe(inStrings);
    expect(xml).toContain('xmlns:mods="http://www.loc.gov/mods/v3"');
    expect(xml).toContain(
      '<ComposedBlock ID="id_test_page_CB0001" TYPE="Image" HEIGHT="50" WIDTH="50" VPOS="10" HPOS="100" TAGREFS="image_001">',
    );
    // input PrintSpace 277x200 at (20,10) extended upwards to y 10
    expect(xml).toContain('<PrintSpace HEIGHT="287" WIDTH="200" VPOS="10" HPOS="10">');
    expect(xml).toContain('<TopMargin HEIGHT="10" WIDTH="210" VPOS="0" HPOS="0"/>');
    expect(xml.indexOf("<Tags>")).toBeLessThan(xml.indexOf("<Layout>"));
    expect(xml.match(/<Processing ID="AnnoPage"/g)!.length).toBe(1);
    xmllintCheck(xml);
  });

  test("re-processing an AnnoPage output numbers new blocks after the existing ones and keeps Processing IDs unique", () => {
    const first = writeAlto(page([imageElement(true)]), { ids: frozen, credits: REFERENCE_CREDITS });
    const el = imageElement(true);
    el.meta!.tagId = "image_002";
    const second = writeAlto(page([el]), { ids: frozen, credits: REFERENCE_CREDITS, inputAlto: first });
    expect(second).toContain('ID="id_test_page_CB0002"');
    expect(second).toContain('<Processing ID="AnnoPage_2">');
    expect(second).toContain('<LayoutTag ID="image_001"');
    expect(second).toContain('<LayoutTag ID="image_002"');
    xmllintCheck(second);
  });

  test("caption TAGREFS land on the input's own line ids (exact id before the line_ form)", () => {
    const el = imageElement(true);
    el.meta!.captionRecord = {
      tagId: "fc.image_001",
      modsId: "MODS_PICT_0001_CAPTION_0001",
      modsUuid: frozen.uuid(),
      recordId: frozen.uuid(),
      lineIds: ["line_line3"],
      description: "This is line no. 3.",
      title: "This is line no. 3.",
      usedAiModels: [],
    };
    const xml = writeAlto(page([el]), { ids: frozen, credits: REFERENCE_CREDITS, inputAlto: input });
    expect(xml).toMatch(/<TextLine ID="line_line3"[^>]*TAGREFS="fc.image_001"/);
  });
});

describe("schema validation of the written ALTO (xmllint + ALTO v4 subset XSD)", () => {
  test("every fixture-equivalent output validates", () => {
    const img = imageElement(true);
    img.meta!.captionRecord = {
      tagId: "fc.image_001",
      modsId: "MODS_PICT_0001_CAPTION_0001",
      modsUuid: frozen.uuid(),
      recordId: frozen.uuid(),
      lineIds: ["line2"],
      description: "This is line no. 2.",
      title: { eng: "This is line no. 2.", cze: null },
      usedAiModels: [],
    };
    xmllintCheck(writeAlto(page([img, textRegion()]), { ids: frozen, credits: REFERENCE_CREDITS }));
    xmllintCheck(writeAlto(page([imageElement(false)]), { ids: frozen, credits: REFERENCE_CREDITS }));
  });

  test("the checks reject a Tags element after Layout, a duplicate ID and a TAGREFS to a missing tag", () => {
    const good = writeAlto(page([imageElement(true)]), { ids: frozen, credits: REFERENCE_CREDITS });
    const tags = /\n\s*<Tags>[\s\S]*<\/Tags>/.exec(good)![0];
    const misplaced = good.replace(tags, "").replace("</Layout>", `</Layout>${tags}`);
    expect(xmllint(misplaced, ALTO_SUBSET_XSD).code).not.toBe(0);
    expect(xmllint(good.replace('ID="id_test_page_GE0001"', 'ID="id_test_page_CB0001"'), ALTO_SUBSET_XSD).stderr).toContain(
      "not a valid value of the atomic type 'xs:ID'",
    );
    expect(danglingTagRefs(good.replace('TAGREFS="image_001"', 'TAGREFS="image_009"'))).toEqual(["image_009"]);
    expect(danglingTagRefs(good)).toEqual([]);
  });
});

describe("software credited in the ALTO (real names and versions, not the reference's placeholders)", () => {
  const pkgVersion = (JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string }).version;
  const steps = (xml: string) => [(xmlDict(xml) as any).alto.Description.Processing].flat() as any[];
  const software = (p: any) => ({
    creator: p.processingSoftware.softwareCreator,
    name: p.processingSoftware.softwareName,
    version: p.processingSoftware.softwareVersion,
  });
  const sources = (xml: string) => [...xml.matchAll(/<mods:recordContentSource>([^<]*)</g)].map((m) => m[1]);

  test("default: the processor is annopage at the package version; the OCR step credits the layout's OCR; no OCR step when none ran", () => {
    const img = imageElement(true);
    const noOcr = writeAlto(page([img, textRegion()]), { ids: frozen });
    expect(steps(noOcr).map((p) => p["@ID"])).toEqual(["AnnoPage"]);
    expect(software(steps(noOcr)[0])).toEqual({ creator: "AnnoPage API", name: "annopage", version: pkgVersion });
    expect(sources(noOcr)).toEqual([`annopage v${pkgVersion}`]);
    expect(noOcr).not.toContain("PERO");
    expect(noOcr).not.toContain("0.0.1");
    xmllintCheck(noOcr);

    const layout = {
      ...page([imageElement(true), textRegion()]),
      ocr: { creator: "tesseract-ocr", name: "tesseract", version: "9.8.7", description: "test build" },
    };
    const withOcr = writeAlto(layout, { ids: frozen });
    const [ocr, proc] = steps(withOcr);
    expect(ocr["@ID"]).toBe("IdOcr");
    expect(software(ocr)).toEqual({ creator: "tesseract-ocr", name: "tesseract", version: "9.8.7" });
    expect(ocr.processingSoftware.applicationDescription).toBe("test build");
    expect(software(proc).version).toBe(pkgVersion);
    xmllintCheck(withOcr);
  });
});
