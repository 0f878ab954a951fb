/**
 * `annopage process` end to end as a child process on real files: CLI contract and exit codes,
 * default configuration with OCR, ALTO input merge with resize, metadata + LLM captioning against a
 * local OpenAI-compatible server, failures, --process-count, --skip-processed, embeddings notice.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decodeImage } from "../../src/media/index.ts";
import { PROGRESS_RE } from "../../src/processor/run.ts";
import { CATEGORIES } from "../../src/processor/categories.ts";
import { formatSummary, summariseResultZip } from "../../src/demo/summary.ts";
import { zipSync } from "fflate";
import { REPO, runCli, startCli, type CliResult } from "../helpers/cli.ts";
import { textPage } from "../helpers/files.ts";
import { PAGES, SHARED } from "../helpers/shared.ts";
import { removeTempDirs, tempDir } from "../helpers/temp.ts";
import { xmllintCheck } from "../helpers/xmllint.ts";
import { xmlDict } from "../helpers/xmldict.ts";

afterAll(removeTempDirs);

const FIXTURE_ALTO = `${SHARED}/fixtures/annopage-alto`;
/** The progress lines `annopage process` prints on stdout. */
const progressLines = (r: CliResult) => r.stdout.split("\n").filter(Boolean);
const packageVersion = (dir: string) => (JSON.parse(readFileSync(join(REPO, dir, "package.json"), "utf8")) as { version: string }).version;

/** The version string the tesseract WebAssembly build itself reports (TessBaseAPI::Version). */
async function tesseractVersion(): Promise<string> {
  // @ts-expect-error -- emscripten factory without type declarations
  const factory = (await import("tesseract.js-core/tesseract-core-simd-lstm.js")).default;
  const mod = await factory({
    wasmBinary: readFileSync(join(REPO, "node_modules/tesseract.js-core/tesseract-core-simd-lstm.wasm")),
    print: () => {},
    printErr: () => {},
  });
  return new mod.TessBaseAPI().Version();
}

function detConfig(dir: string, extra = ""): string {
  const p = join(dir, "config.ini");
  writeFileSync(p, `[DET]\nMETHOD = YOLO_DETECTION\n${extra}`);
  return p;
}

function imagesDir(dir: string, names: string[]): string {
  const d = join(dir, "images");
  mkdirSync(d, { recursive: true });
  for (const n of names) copyFileSync(join(PAGES, n), join(d, n));
  return d;
}

describe("command line and exit codes", () => {
  test("unknown flag, both XML inputs, bad device: exit 2 with one line", async () => {
    for (const args of [["--bogus"], ["--input-xml-path", "a", "--input-alto-path", "b"], ["--device", "tpu"], ["--process-count", "0"]]) {
      const r = await runCli(["process", ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stdout).toBe("");
    }
  });

  test("missing config file: exit 255; a config whose engine cannot be set up: exit 1 (§1.6); one line naming the problem", async () => {
    const d = tempDir("badcfg");
    let r = await runCli(["process", "--config", join(d, "none.ini"), "--input-image-path", d]);
    expect(r.code).toBe(255);
    expect(r.stderr.trim()).toBe(`annopage: process: Config file does not exist: '${join(d, "none.ini")}'`);
    writeFileSync(join(d, "bad.ini"), "[X]\nMETHOD = OPENAI_COMPLETIONS_IMAGE_CAPTIONING\nAPI = openai\n");
    r = await runCli(["process", "--config", join(d, "bad.ini"), "--input-image-path", d]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n").at(-1)).toContain("[X] API_KEY is required");
  });

  test("invalid metadata JSON and a missing image directory: exit 1 (§1.6)", async () => {
    const d = tempDir("badin");
    writeFileSync(join(d, "meta.json"), "{not json");
    let r = await runCli(["process", "--config", detConfig(d), "--input-image-path", d, "--input-metadata-path", join(d, "meta.json")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("is not valid JSON");
    r = await runCli(["process", "--config", detConfig(d), "--input-image-path", join(d, "nope")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("does not exist");
  });

  test("some pages fail: exit 3, failed pages listed on stderr, in the progress and in the processing info; good pages complete", async () => {
    const d = tempDir("fail");
    const imgs = imagesDir(d, ["dev_002.jpg"]);
    writeFileSync(join(imgs, "broken.jpg"), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
    writeFileSync(join(imgs, "notes.txt"), "not an image");
    const r = await runCli([
      "process",
      "--config",
      detConfig(d),
      "--input-image-path",
      imgs,
      "--output-alto-path",
      join(d, "alto"),
      "--output-processing-info-path",
      join(d, "info.json"),
    ]);
    expect(r.code).toBe(3);
    expect(progressLines(r)).toHaveLength(3);
    expect(
      progressLines(r)
        .filter((l) => / failed /.test(l))
        .map((l) => PROGRESS_RE.exec(l)![5])
        .sort(),
    ).toEqual(["broken", "notes"]);
    expect(r.stderr).toMatch(/\[ERROR\|[^\]]+\]: Failed to process file 'broken'\.\n\[ERROR\|[^\]]+\]: .*Unable to read image/);
    expect(r.stderr.trim().split("\n").at(-1)).toMatch(/2 of 3 pages failed \(broken, notes\)/);
    expect(readdirSync(join(d, "alto"))).toEqual(["dev_002.xml"]);
    const info = JSON.parse(readFileSync(join(d, "info.json"), "utf8"));
    expect(Object.keys(info.failed_pages).sort()).toEqual(["broken", "notes"]);
    expect(info.failed_pages.broken).toContain("Unable to read image");
    expect(Object.keys(info.data)).toEqual(["dev_002"]);
  });
});

describe("detection outputs", () => {
  let d: string;
  let r: CliResult;
  beforeAll(async () => {
    d = tempDir("det");
    const imgs = imagesDir(d, ["dev_002.jpg", "dev_004.jpg", "dev_003.jpg"]);
    r = await runCli([
      "process",
      "--config",
      detConfig(d),
      "--input-image-path",
      imgs,
      "--output-alto-path",
      join(d, "alto"),
      "--output-render-path",
      join(d, "renders"),
      "--output-crops-path",
      join(d, "crops"),
      "--output-xml-path",
      join(d, "page"),
      "--output-processing-info-path",
      join(d, "info.json"),
      "--device",
      "gpu",
      "--logging-level",
      "INFO",
    ]);
  }, 60_000);

  test("exit 0, one progress line per page, the reference per-page log on stderr", () => {
    expect(r.code).toBe(0);
    expect(progressLines(r).map((l) => PROGRESS_RE.exec(l)?.slice(1, 4))).toEqual([
      ["1", "3", "ok"],
      ["2", "3", "ok"],
      ["3", "3", "ok"],
    ]);
    expect(r.stderr).toMatch(/\[INFO\|\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d\|[^\]]+\]: Processing dev_002/);
    expect(r.stderr).toMatch(/DONE 3\/3 \(100.00 %\) \[id: dev_004\] Time:\d+\.\d\d/);
  });

  test("ALTO: well-formed, the fixtures' namespaces and skeleton, one ComposedBlock + LayoutTag per crop", () => {
    const fixture = xmlDict(readFileSync(join(FIXTURE_ALTO, "alto_image_with_basic_metadata.xml"), "utf8")) as any;
    let crops = 0;
    for (const id of ["dev_002", "dev_003", "dev_004"]) {
      const xml = readFileSync(join(d, "alto", `${id}.xml`), "utf8");
      xmllintCheck(xml);
      expect(xml.startsWith("<?xml version='1.0' encoding='utf-8'?>\n")).toBe(true);
      const doc = xmlDict(xml) as any;
      for (const ns of ["@xmlns", "@xmlns:mods", "@xmlns:xlink", "@xmlns:xsi"]) expect(doc.alto[ns]).toBe(fixture.alto[ns]);
      // a detection-only config runs no OCR: only this processor's step, no OCR credited
      expect([doc.alto.Description.Processing].flat().map((p: any) => p["@ID"])).toEqual(["AnnoPage"]);
      const page = doc.alto.Layout.Page;
      expect(page["@ID"]).toBe(`id_${id}`);
      const img = readFileSync(join(d, "images", `${id}.jpg`));
      expect(img.length).toBeGreaterThan(0);
      const blocks = [page.PrintSpace.ComposedBlock ?? []].flat();
      const tags = [doc.alto.Tags?.LayoutTag ?? []].flat();
      expect(blocks.length).toBe(tags.length);
      for (const b of blocks) {
        expect(b.TAGREFS ?? b["@TAGREFS"]).toMatch(/^[a-zA-Z]+_\d{3}$/);
        expect(existsSync(join(d, "crops", `${id}_${b["@TAGREFS"]}.jpg`))).toBe(true);
        const tag = tags.find((t: any) => t["@ID"] === b["@TAGREFS"]);
        expect(tag["@LABEL"]).toBe(b["@TYPE"]);
        const mods = tag.XmlData["mods:mods"];
        expect(mods["@ID"]).toMatch(/^MODS_PICT_\d{4}$/);
        expect(Object.keys(mods)).toEqual(
          expect.arrayContaining(
            Object.keys(fixture.alto.Tags.LayoutTag.XmlData["mods:mods"]).filter((k) =>
              ["mods:typeOfResource", "mods:genre", "mods:identifier", "mods:recordInfo"].includes(k),
            ),
          ),
        );
        expect(mods["mods:physicalDescription"]["mods:extent"]["#text"]).toBe(`${b["@WIDTH"]}x${b["@HEIGHT"]}`);
      }
      crops += blocks.length;
    }
    expect(crops).toBeGreaterThan(0); // dev_002 and dev_004 have figures
    expect(readdirSync(join(d, "crops")).length).toBe(crops);
  });

  test("renders have the page size; crops have their box size; PAGE XML written", async () => {
    const render = await decodeImage(join(d, "renders", "dev_002.jpg"));
    const page = await decodeImage(join(d, "images", "dev_002.jpg"));
    expect([render.width, render.height]).toEqual([page.width, page.height]);
    const alto = readFileSync(join(d, "alto", "dev_002.xml"), "utf8");
    const m = /<ComposedBlock [^>]*HEIGHT="(\d+)" WIDTH="(\d+)"[^>]*TAGREFS="([^"]+)"/.exec(alto)!;
    const crop = await decodeImage(join(d, "crops", `dev_002_${m[3]}.jpg`));
    expect([crop.height, crop.width]).toEqual([Number(m[1]), Number(m[2])]);
    const pageXml = readFileSync(join(d, "page", "dev_002.xml"), "utf8");
    expect(pageXml).toContain('imageFilename="dev_002"');
    // custom is Python's json.dumps of {"category", "detection_confidence"} (", " and ": " separators, a float)
    const customs = [...pageXml.matchAll(/custom="([^"]*)"/g)].map((c) => c[1]!.replaceAll("&quot;", '"'));
    expect(customs.length).toBeGreaterThan(0);
    for (const c of customs) expect(c).toMatch(/^\{"category": "[^"]+", "detection_confidence": \d+\.\d{1,3}\}$/);
  });

  test("one name per category: ALTO TYPE/LABEL, PAGE XML category and the summary use the label; ids and crop files the table's genre", async () => {
    const counts: Record<string, number> = {};
    const zip: Record<string, Uint8Array> = {};
    for (const id of ["dev_002", "dev_003", "dev_004"]) {
      const alto = readFileSync(join(d, "alto", `${id}.xml`), "utf8");
      zip[`alto/${id}.xml`] = new TextEncoder().encode(alto);
      const labels = new Map([...alto.matchAll(/<LayoutTag ID="([^"]+)"[^>]*LABEL="([^"]+)"/g)].map((m) => [m[1]!, m[2]!]));
      const pageXml = readFileSync(join(d, "page", `${id}.xml`), "utf8");
      const pageCats = new Map(
        [...pageXml.matchAll(/<TextRegion id="([^"]+)" custom="([^"]*)"/g)].map((m) => [
          m[1]!,
          JSON.parse(m[2]!.replaceAll("&quot;", '"')).category,
        ]),
      );
      for (const m of alto.matchAll(/<ComposedBlock [^>]*TYPE="([^"]+)"[^>]*TAGREFS="([^"]+)"/g)) {
        const [label, tag] = [m[1]!, m[2]!];
        const row = CATEGORIES.find((c) => c.label === label)!;
        expect(row).toBeDefined();
        expect(labels.get(tag)).toBe(label);
        expect(pageCats.get(tag)).toBe(label);
        expect(tag).toMatch(new RegExp(`^${row.genreEng}_\\d{3}$`));
        expect(existsSync(join(d, "crops", `${id}_${tag}.jpg`))).toBe(true);
        expect(alto).toContain(`<mods:genre altRepGroup="genre-1" lang="eng">${row.genreEng}</mods:genre>`);
        counts[label] = (counts[label] ?? 0) + 1;
      }
    }
    expect(Object.keys(counts).length).toBeGreaterThan(1); // dev_002: a Photograph and a Graph
    const zipPath = join(d, "names.zip");
    writeFileSync(zipPath, zipSync(zip));
    const elementsLine = formatSummary(await summariseResultZip(zipPath), zipPath, 1)
      .split("\n")
      .find((l) => l.startsWith("elements:"))!;
    for (const [label, n] of Object.entries(counts)) {
      expect(elementsLine).toContain(`${label} ${n} (${CATEGORIES.find((c) => c.label === label)!.genreEng}_*)`);
    }
  });

  test("--device gpu falls back to the CPU with a WARNING (§1.2)", () => {
    expect(r.stderr).toMatch(/\[WARNING\|[^\]]+\]: --device gpu: this processor has no GPU models; running on CPU/);
  });

  test("without --device (or with --device cpu) there is no GPU warning", async () => {
    for (const extra of [[], ["--device", "cpu"]]) {
      const r2 = await runCli([
        "process",
        "--config",
        join(d, "config.ini"),
        "--input-image-path",
        join(d, "images"),
        "--output-alto-path",
        join(d, `alto-nodev${extra.length}`),
        "--logging-level",
        "INFO",
        "--process-count",
        "2",
        ...extra,
      ]);
      expect(r2.code).toBe(0);
      expect(progressLines(r2)).toHaveLength(3);
      expect(r2.stderr).toContain("Processing dev_002");
      expect(r2.stderr).not.toMatch(/GPU|--device/);
    }
  }, 60_000);

  test("our PAGE XML read back as input: its elements return as elements (same categories and boxes, tags, crops)", async () => {
    const cfg = join(d, "no-engines.ini");
    writeFileSync(cfg, "[PARSE_FOLDER]\n");
    const out = join(d, "roundtrip");
    const r2 = await runCli([
      "process",
      "--config",
      cfg,
      "--input-image-path",
      join(d, "images"),
      "--input-xml-path",
      join(d, "page"),
      "--output-alto-path",
      join(out, "alto"),
      "--output-crops-path",
      join(out, "crops"),
    ]);
    expect(r2.code).toBe(0);
    const elementsOf = (xml: string) => {
      const labels = new Map([...xml.matchAll(/<LayoutTag ID="([^"]+)"[^>]*LABEL="([^"]+)"/g)].map((m) => [m[1]!, m[2]!]));
      return [...xml.matchAll(/<ComposedBlock ([^>]*)>/g)]
        .map((m) => Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((a) => [a[1], a[2]])))
        .map((a) => `${labels.get(a.TAGREFS!)} ${a.HPOS},${a.VPOS} ${a.WIDTH}x${a.HEIGHT}`)
        .sort();
    };
    const before = elementsOf(readFileSync(join(d, "alto", "dev_002.xml"), "utf8"));
    expect(before.length).toBeGreaterThan(0);
    expect(elementsOf(readFileSync(join(out, "alto", "dev_002.xml"), "utf8"))).toEqual(before);
    const crops = (dir: string) => readdirSync(dir).filter((f) => f.startsWith("dev_002_")).length;
    expect(crops(join(out, "crops"))).toBe(crops(join(d, "crops")));
  });

  test("--skip-processed skips pages present in both ALTO and render outputs", async () => {
    const r2 = await runCli([
      "process",
      "--config",
      join(d, "config.ini"),
      "--input-image-path",
      join(d, "images"),
      "--output-alto-path",
      join(d, "alto"),
      "--output-render-path",
      join(d, "renders"),
      "-s",
    ]);
    expect(r2.code).toBe(0);
    expect(progressLines(r2)).toEqual([]);
  });
});

describe("default configuration (OCR) and ALTO input", () => {
  test("no --config: OCR text lines go into the ALTO next to the detected elements", async () => {
    const d = tempDir("ocr");
    mkdirSync(join(d, "img"));
    writeFileSync(
      join(d, "img", "page.jpg"),
      textPage(["The quick brown fox jumps", "over the lazy dog near", "Brno and Praha in 1685."], { picture: true }),
    );
    const r = await runCli(["process", "--input-image-path", join(d, "img"), "--output-alto-path", join(d, "alto")]);
    expect(r.code).toBe(0);
    const xml = readFileSync(join(d, "alto", "page.xml"), "utf8");
    xmllintCheck(xml);
    const words = [...xml.matchAll(/<String CONTENT="([^"]+)"/g)].map((m) => m[1]);
    // the default tessdata_fast models may misread one letter of this small synthetic font ("guick"); the
    // other words, the numbers and the line structure must be there
    const wanted = ["The", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog", "near", "Brno", "and", "Praha", "in", "1685."];
    expect(words.length).toBe(wanted.length);
    expect(wanted.filter((w) => words.includes(w)).length).toBeGreaterThanOrEqual(wanted.length - 1);
    expect(xml).toMatch(/<TextLine ID="line_[^"]+" BASELINE="\d+,\d+ \d+,\d+"/);
    expect(xml).toMatch(/<String [^>]*WC="0\.\d\d"/);
    // the real software: tesseract at the version its WebAssembly build reports, annopage at the package version
    const steps = [(xmlDict(xml) as any).alto.Description.Processing].flat() as any[];
    expect(steps.map((p) => p["@ID"])).toEqual(["IdOcr", "AnnoPage"]);
    const [ocr, proc] = steps.map((p) => p.processingSoftware);
    expect([ocr.softwareCreator, ocr.softwareName, ocr.softwareVersion]).toEqual(["tesseract-ocr", "tesseract", await tesseractVersion()]);
    expect(ocr.applicationDescription).toContain(`tesseract.js-core ${packageVersion("node_modules/tesseract.js-core")}`);
    expect([proc.softwareName, proc.softwareVersion]).toEqual(["annopage", packageVersion(".")]);
    expect(xml).not.toMatch(/PERO|0\.0\.1/);
  }, 60_000);

  test("OCR lines inside detected elements (pictures read as text) are dropped; the rest of the text stays", async () => {
    const d = tempDir("ocrmask");
    const imgs = imagesDir(d, ["dev_002.jpg"]);
    const r = await runCli(["process", "--input-image-path", imgs, "--output-alto-path", join(d, "alto")]);
    expect(r.code).toBe(0);
    const xml = readFileSync(join(d, "alto", "dev_002.xml"), "utf8");
    xmllintCheck(xml);
    const num = (s: string, a: string) => Number(new RegExp(`${a}="(\\d+)"`).exec(s)![1]);
    const blocks = [...xml.matchAll(/<ComposedBlock [^>]*>/g)].map((m) => ({
      x: num(m[0], "HPOS"),
      y: num(m[0], "VPOS"),
      w: num(m[0], "WIDTH"),
      h: num(m[0], "HEIGHT"),
    }));
    const lines = [...xml.matchAll(/<TextLine [^>]*>/g)].map((m) => m[0]);
    expect(blocks.length).toBeGreaterThan(0);
    expect(lines.length).toBeGreaterThan(20);
    for (const l of lines) {
      if (/TAGREFS=/.test(l)) continue; // caption lines may touch their element
      const cx = num(l, "HPOS") + num(l, "WIDTH") / 2,
        cy = num(l, "VPOS") + num(l, "HEIGHT") / 2;
      expect(blocks.some((b) => cx > b.x && cx < b.x + b.w && cy > b.y && cy < b.y + b.h)).toBe(false);
    }
  }, 60_000);

  test("input ALTO: its text is merged (never lost), the image is resized to the ALTO page size", async () => {
    const d = tempDir("merge");
    const imgs = imagesDir(d, ["dev_002.jpg"]);
    mkdirSync(join(d, "alto-in"));
    const input = readFileSync(join(FIXTURE_ALTO, "alto_image_with_basic_metadata_and_text_lines.xml"), "utf8")
      .replace(/<Tags>[\s\S]*<\/Tags>/, "<Tags/>")
      .replace(/<ComposedBlock[\s\S]*?<\/ComposedBlock>/, "")
      .replace('HEIGHT="297" WIDTH="210"', 'HEIGHT="1150" WIDTH="820"');
    writeFileSync(join(d, "alto-in", "dev_002.xml"), input);
    const r = await runCli([
      "process",
      "--input-image-path",
      imgs,
      "--input-alto-path",
      join(d, "alto-in"),
      "--output-alto-path",
      join(d, "alto"),
      "--output-render-path",
      join(d, "renders"),
    ]);
    expect(r.code).toBe(0);
    const xml = readFileSync(join(d, "alto", "dev_002.xml"), "utf8");
    xmllintCheck(xml);
    expect(xml.match(/<String /g)!.length).toBe(input.match(/<String /g)!.length);
    expect(xml).toContain('<TextLine ID="line_line2"');
    expect(xml).toContain('<Page ID="id_test_page" PHYSICAL_IMG_NR="1" HEIGHT="1150" WIDTH="820">');
    const render = await decodeImage(join(d, "renders", "dev_002.jpg"));
    expect([render.width, render.height]).toEqual([820, 1150]);
  }, 60_000);
});

describe("image captioning through a local OpenAI-compatible server", () => {
  const requests: { auth: string | null; body: any }[] = [];
  let failFirst = true;
  let server: ReturnType<typeof Bun.serve>;
  beforeAll(() => {
    server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(req) {
        const body = await req.json();
        requests.push({ auth: req.headers.get("authorization"), body });
        if (failFirst) {
          failFirst = false;
          return new Response(JSON.stringify({ error: { message: "overloaded" } }), { status: 503 });
        }
        const prompt: string = body.messages[0].content[0].text;
        if (prompt.includes("REFUSE"))
          return Response.json({
            choices: [{ message: { role: "assistant", content: "I cannot help." } }],
            usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
          });
        const content = JSON.stringify({
          caption_cz: "Popisek",
          caption_en: "Caption",
          description_cz: "Popis",
          description_en: `Described: ${prompt}`,
          topics_cz: "strom, dům",
          topics_en: ["tree", "house"],
          color_cz: "barevný",
          color_en: "colour",
        });
        return Response.json({
          id: "x",
          object: "chat.completion",
          choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
          usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120, cost: 0.001 },
        });
      },
    });
  });
  afterAll(() => server.stop(true));

  test("requests in the reference shape, retries with backoff, MODS descriptions, prompts and usage written", async () => {
    const d = tempDir("cap");
    const imgs = imagesDir(d, ["dev_002.jpg", "dev_004.jpg"]);
    writeFileSync(
      join(d, "prompt.json"),
      JSON.stringify({
        model: "test/model-1",
        text: {
          default:
            "Title: {{ page_title }}; category {{ element_category }}; caption {{ element_caption }}; {% if page_year %}year {{ page_year }}{% else %}no year{% endif %}",
          Initial: "REFUSE",
        },
        max_tokens: 321,
      }),
    );
    writeFileSync(join(d, "key.txt"), "sk-test-123\n");
    writeFileSync(join(d, "meta.json"), JSON.stringify({ "dev_002.jpg": { page_title: "Orbis pictus", page_year: 1685 } }));
    const cfg = detConfig(
      d,
      `\n[CAP]\nMETHOD = OPENAI_COMPLETIONS_IMAGE_CAPTIONING\nAPI = http://127.0.0.1:${server.port}/v1/chat/completions\nAPI_KEY = key.txt\nPROMPT_SETTINGS = prompt.json\nMAX_ATTEMPTS = 2\nRETRY_BACKOFF_MS = 20\nMAX_IMAGE_SIZE = 64\n`,
    );
    const r = await runCli([
      "process",
      "--config",
      cfg,
      "--input-image-path",
      imgs,
      "--input-metadata-path",
      join(d, "meta.json"),
      "--output-alto-path",
      join(d, "alto"),
      "--output-image-captioning-prompts-path",
      join(d, "prompts"),
      "--output-processing-info-path",
      join(d, "info.json"),
    ]);
    expect(r.code).toBe(0);
    expect(requests.length).toBeGreaterThan(1);
    const first = requests[0]!;
    expect(first.auth).toBe("Bearer sk-test-123");
    expect(first.body.model).toBe("test/model-1");
    expect(first.body.max_completion_tokens).toBe(321);
    expect(first.body.text.format).toMatchObject({ type: "json_schema", name: "response_schema", strict: true });
    expect(first.body.text.format.schema.required).toHaveLength(8);
    expect(first.body.messages[0].content[1].image_url.url).toMatch(/^data:image\/jpeg;base64,\/9j\//);
    const img = Buffer.from(first.body.messages[0].content[1].image_url.url.split(",")[1], "base64");
    const dec = await decodeImage(new Uint8Array(img));
    expect(Math.max(dec.width, dec.height)).toBeLessThanOrEqual(64);

    const xml2 = readFileSync(join(d, "alto", "dev_002.xml"), "utf8");
    xmllintCheck(xml2);
    expect(xml2).toContain('<mods:abstract altRepGroup="description-1" type="description" lang="eng">Described: Title: Orbis pictus;');
    expect(xml2).toContain("year 1685");
    expect(xml2).toContain('<mods:recordInfoNote type="image-caption-generation">test/model-1</mods:recordInfoNote>');
    expect(xml2).toMatch(/<mods:subject altRepGroup="subject-2">\s*<mods:topic lang="cze">dům<\/mods:topic>/);
    expect(xml2).toContain('<mods:form type="color" lang="cze">barevný</mods:form>');
    const prompts = readdirSync(join(d, "prompts"));
    expect(prompts.length).toBeGreaterThan(0);
    const p2 = prompts.find((f) => f.startsWith("dev_002_"))!;
    const arr = JSON.parse(readFileSync(join(d, "prompts", p2), "utf8"));
    expect(arr[0]).toMatch(/^Title: Orbis pictus; category [A-Z]/);
    expect(readFileSync(join(d, "prompts", p2), "utf8")).toContain('[\n    "Title');
    // dev_004 has no metadata: undefined variables render empty
    const p4 = prompts.find((f) => f.startsWith("dev_004_") && !f.includes("initial"));
    expect(p4).toBeDefined();
    expect(JSON.parse(readFileSync(join(d, "prompts", p4!), "utf8"))[0]).toMatch(/^Title: ; category .*no year$/);

    const info = JSON.parse(readFileSync(join(d, "info.json"), "utf8"));
    const engine = info.summary.per_engine.OpenAICompletionsImageCaptioningEngine;
    const described = prompts.length;
    expect(engine.prompt_tokens).toBe(100 * described);
    expect(engine.failed_attempts).toBe(1); // the first request got HTTP 503 and was retried
    expect(info.summary.total.cost).toBeCloseTo(0.001 * described, 6);
    expect(Object.keys(info.data)).toEqual(["dev_002", "dev_004"]);
  }, 60_000);
});

describe("captioning failures keep the detections", () => {
  test("an endpoint that always fails: exit 0, elements and crops written, no descriptions or prompt files, no usage", async () => {
    let calls = 0;
    const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => (calls++, new Response("bad gateway", { status: 502 })) });
    try {
      const d = tempDir("capfail");
      const imgs = imagesDir(d, ["dev_002.jpg"]);
      writeFileSync(join(d, "prompt.json"), JSON.stringify({ model: "m", text: "Describe." }));
      const cfg = detConfig(
        d,
        `[CAP]\nMETHOD = OPENAI_COMPLETIONS_IMAGE_CAPTIONING\nAPI = http://127.0.0.1:${server.port}/v1/chat/completions\nAPI_KEY = k\nPROMPT_SETTINGS = prompt.json\nMAX_ATTEMPTS = 3\nRETRY_BACKOFF_MS = 5\n`,
      );
      const r = await runCli([
        "process",
        "--config",
        cfg,
        "--input-image-path",
        imgs,
        "--output-alto-path",
        join(d, "alto"),
        "--output-crops-path",
        join(d, "crops"),
        "--output-image-captioning-prompts-path",
        join(d, "prompts"),
        "--output-processing-info-path",
        join(d, "info.json"),
      ]);
      expect(r.code).toBe(0);
      const xml = readFileSync(join(d, "alto", "dev_002.xml"), "utf8");
      const blocks = xml.match(/<ComposedBlock /g)?.length ?? 0;
      expect(blocks).toBeGreaterThan(0);
      expect(calls).toBe(3 * blocks);
      expect(xml).not.toContain("mods:abstract");
      expect(readdirSync(join(d, "crops")).length).toBe(blocks);
      expect(readdirSync(join(d, "prompts"))).toEqual([]);
      expect(r.stderr).toContain("HTTP 502");
      expect(JSON.parse(readFileSync(join(d, "info.json"), "utf8")).summary.total).toEqual({});
    } finally {
      server.stop(true);
    }
  }, 60_000);
});

describe("parallel pages and embeddings notice", () => {
  test("--process-count 2: every page once on stdout, outputs complete, processing info merged", async () => {
    const d = tempDir("par");
    const imgs = imagesDir(d, ["dev_002.jpg", "dev_003.jpg", "dev_004.jpg", "dev_006.jpg"]);
    const r = await runCli([
      "process",
      "--config",
      detConfig(d),
      "--input-image-path",
      imgs,
      "--output-alto-path",
      join(d, "alto"),
      "--process-count",
      "2",
      "--output-processing-info-path",
      join(d, "info.json"),
      "--output-embeddings-path",
      join(d, "emb"),
      "--embeddings-jsonlines",
    ]);
    expect(r.code).toBe(0);
    expect(progressLines(r)).toHaveLength(4);
    expect(progressLines(r).map((l) => PROGRESS_RE.exec(l)![1])).toEqual(["1", "2", "3", "4"]);
    expect(
      progressLines(r)
        .map((l) => PROGRESS_RE.exec(l)![5])
        .sort(),
    ).toEqual(["dev_002", "dev_003", "dev_004", "dev_006"]);
    expect(readdirSync(join(d, "alto")).sort()).toEqual(["dev_002.xml", "dev_003.xml", "dev_004.xml", "dev_006.xml"]);
    const info = JSON.parse(readFileSync(join(d, "info.json"), "utf8"));
    expect(Object.keys(info.data).sort()).toEqual(["dev_002", "dev_003", "dev_004", "dev_006"]);
    expect(info.notices.join(" ")).toContain("no embedding model");
    expect(r.stderr.split("no embedding model is available").length - 1).toBe(1); // reported once, not per page process
    expect(readdirSync(join(d, "emb")).sort()).toEqual(["dev_002.jsonl", "dev_003.jsonl", "dev_004.jsonl", "dev_006.jsonl"]);
  }, 60_000);
});

describe("PAGE XML input and interruption", () => {
  test("PAGE XML text lines become TextBlocks of the generated ALTO; layout id = imageFilename", async () => {
    const d = tempDir("pagexml");
    const imgs = imagesDir(d, ["dev_002.jpg"]);
    mkdirSync(join(d, "page-in"));
    writeFileSync(
      join(d, "page-in", "dev_002.xml"),
      `<?xml version="1.0" encoding="UTF-8"?>
<PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"><Page imageFilename="scan-2" imageWidth="1000" imageHeight="1400">
<TextRegion id="r1"><Coords points="100,100 900,100 900,200 100,200"/>
<TextLine id="l1"><Coords points="100,100 900,100 900,140 100,140"/><Baseline points="100,132 900,132"/><TextEquiv><Unicode>Hello page world</Unicode></TextEquiv></TextLine>
</TextRegion></Page></PcGts>`,
    );
    const r = await runCli([
      "process",
      "--config",
      detConfig(d),
      "--input-image-path",
      imgs,
      "--input-xml-path",
      join(d, "page-in"),
      "--output-alto-path",
      join(d, "alto"),
    ]);
    expect(r.code).toBe(0);
    const xml = readFileSync(join(d, "alto", "dev_002.xml"), "utf8");
    xmllintCheck(xml);
    expect(xml).toContain('<Page ID="id_scan-2" PHYSICAL_IMG_NR="1" HEIGHT="1400" WIDTH="1000">');
    expect(xml).toContain('<TextBlock ID="block_r1" HEIGHT="100" WIDTH="800" VPOS="100" HPOS="100">');
    expect(xml).toContain('<TextLine ID="line_l1" BASELINE="100,132 900,132" VPOS="100" HPOS="100" HEIGHT="40" WIDTH="800">');
    expect(xml).toContain('<String CONTENT="world"');
  });

  test("SIGINT stops the run with exit 130 and no half-written files", async () => {
    const d = tempDir("sigint");
    mkdirSync(join(d, "img"));
    for (let i = 0; i < 6; i++)
      writeFileSync(
        join(d, "img", `p${i}.jpg`),
        textPage([`Page number ${i}`, "with several words of text", "to keep the OCR busy for a while"]),
      );
    const proc = startCli(["process", "--input-image-path", join(d, "img"), "--output-alto-path", join(d, "alto")]);
    await proc.waitFor(/^PAGE 1\/6 ok /, 50_000, "stdout");
    proc.kill("SIGINT");
    expect(await proc.exited).toBe(130);
    const written = readdirSync(join(d, "alto"));
    expect(written.every((f) => /^p\d\.xml$/.test(f))).toBe(true);
    expect(written.length).toBeLessThan(6);
  }, 60_000);
});

describe("bad per-page inputs", () => {
  test("a malformed input ALTO fails only its page, with the reason", async () => {
    const d = tempDir("badalto");
    const imgs = imagesDir(d, ["dev_002.jpg", "dev_003.jpg"]);
    mkdirSync(join(d, "alto-in"));
    writeFileSync(join(d, "alto-in", "dev_002.xml"), "<alto><Layout><Page></alto>");
    writeFileSync(
      join(d, "alto-in", "dev_003.xml"),
      '<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#"><Layout><Page HEIGHT="10" WIDTH="10"/></Layout></alto>',
    );
    const r = await runCli([
      "process",
      "--config",
      detConfig(d),
      "--input-image-path",
      imgs,
      "--input-alto-path",
      join(d, "alto-in"),
      "--output-alto-path",
      join(d, "alto"),
      "--output-processing-info-path",
      join(d, "info.json"),
    ]);
    expect(r.code).toBe(3);
    const info = JSON.parse(readFileSync(join(d, "info.json"), "utf8"));
    expect(info.failed_pages.dev_002).toContain("not well-formed");
    expect(info.failed_pages.dev_003).toContain("Page has no ID");
    expect(existsSync(join(d, "alto"))).toBe(true);
    expect(readdirSync(join(d, "alto"))).toEqual([]);
  });

  test("an unreadable LLM alias file is a one-line fatal error (exit 1, §1.6)", async () => {
    const d = tempDir("badalias");
    writeFileSync(join(d, "aliases.json"), "{");
    const r = await runCli([
      "process",
      "--config",
      detConfig(d),
      "--input-image-path",
      d,
      "--llm-api-aliases-path",
      join(d, "aliases.json"),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("alias file");
  });
});
