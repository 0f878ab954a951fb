/** Input checking, natural ordering, engine_settings building and progress rendering of `annopage submit`. */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { collectInputs, formatProblems, sniffImage } from "../../src/client/inputs.ts";
import { naturalCompare, naturalSort } from "../../src/client/natural-sort.ts";
import { bar, chooseMode, colorEnabled, createReporter } from "../../src/client/progress.ts";
import { buildEngineSettings } from "../../src/client/settings.ts";

const root = mkdtempSync(join(tmpdir(), "annopage-client-inputs-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// Smallest real headers of each format (enough for the sniffer, which is all these tests need).
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1]);
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);

let n = 0;
function dir(files: Record<string, string | Uint8Array>): string {
  const d = join(root, `d${n++}`);
  mkdirSync(d, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(d, name), content);
  return d;
}

describe("natural ordering", () => {
  test("digit runs compare as numbers", () => {
    expect(naturalSort(["page10.jpg", "page2.jpg", "page1.jpg", "page02b.jpg"])).toEqual([
      "page1.jpg",
      "page2.jpg",
      "page02b.jpg",
      "page10.jpg",
    ]);
    expect(naturalSort(["b.png", "a10.png", "a9.png", "A1.png"])).toEqual(["A1.png", "a9.png", "a10.png", "b.png"]);
  });
  test("total order: zero padding ties fall back to string order", () => {
    expect(naturalCompare("p01", "p1")).not.toBe(0);
    expect(naturalCompare("p01", "p1")).toBe(-naturalCompare("p1", "p01"));
    expect(naturalCompare("x", "x")).toBe(0);
  });
  test("very long digit runs do not lose precision", () => {
    expect(naturalSort(["s12345678901234567891", "s12345678901234567890"])).toEqual(["s12345678901234567890", "s12345678901234567891"]);
  });
});

describe("collectInputs", () => {
  test("images are collected in natural order with their ALTO files and metadata", () => {
    const images = dir({ "page10.jpg": JPEG, "page2.png": PNG, "page1.JPG": JPEG, "notes.txt": "x", ".DS_Store": "x" });
    const alto = dir({ "page1.xml": "<alto/>", "page2.xml": "<alto/>", "page10.XML": "<alto/>", "extra.xml": "<alto/>" });
    const meta = join(dir({ "m.json": '{"title":"Bible"}' }), "m.json");
    const { inputs, problems } = collectInputs({ imagesDir: images, altoDir: alto, metadataFile: meta });
    expect(problems).toEqual([]);
    expect(inputs!.images.map((i) => [i.name, i.order])).toEqual([
      ["page1.JPG", 0],
      ["page2.png", 1],
      ["page10.jpg", 2],
    ]);
    expect(inputs!.images.map((i) => i.altoPath)).toEqual([join(alto, "page1.xml"), join(alto, "page2.xml"), join(alto, "page10.XML")]);
    expect(inputs!.altoRequired).toBe(true);
    expect(inputs!.pageRequired).toBe(false);
    expect(inputs!.metadata!.value).toEqual({ title: "Bible" });
    expect(inputs!.totalBytes).toBe(JPEG.length * 2 + PNG.length + 3 * "<alto/>".length);
  });

  test("every problem is reported at once", () => {
    const images = dir({ "a.jpg": JPEG, "b.jpg": JPEG, "c.png": "this is not a png", "empty.jpg": "", "a.png": PNG });
    symlinkSync(join(root, "does-not-exist.jpg"), join(images, "broken.jpg"));
    const alto = dir({ "a.xml": "<alto/>", "c.xml": "" });
    const meta = join(dir({ "m.json": "{not json" }), "m.json");
    const { inputs, problems } = collectInputs({ imagesDir: images, altoDir: alto, metadataFile: meta });
    expect(inputs).toBeUndefined();
    const text = problems.join("\n");
    expect(text).toContain(`cannot read image ${join(images, "broken.jpg")}: no such file (or a broken link)`);
    expect(text).toContain(`image ${join(images, "c.png")} is not a JPEG, PNG, TIFF, WebP, BMP or GIF file`);
    expect(text).toContain(`image ${join(images, "empty.jpg")} is empty`);
    expect(text).toContain(`image b.jpg has no ALTO file ${join(alto, "b.xml")}`);
    expect(text).toContain(`ALTO file ${join(alto, "c.xml")} is empty`);
    expect(text).toContain('images a.jpg and a.png have the same stem "a"');
    expect(text).toContain(`metadata ${meta} is not valid JSON`);
    const msg = formatProblems(problems);
    expect(msg.split("\n")[0]).toBe(`${problems.length} problems, nothing was submitted:`);
    expect(msg.split("\n")).toHaveLength(problems.length + 1);
  });

  test("no images, missing directories, both ALTO and PAGE, null metadata", () => {
    const empty = dir({ "readme.md": "hello" });
    const meta = join(dir({ "m.json": "null" }), "m.json");
    const r = collectInputs({ imagesDir: empty, altoDir: join(root, "nope"), pageDir: join(root, "nope2"), metadataFile: meta });
    expect(r.problems).toContain(`no images in ${empty} (looked for .jpg .jpeg .png .tif .tiff .bmp .webp .gif)`);
    expect(r.problems).toContain(`ALTO directory ${join(root, "nope")}: no such file (or a broken link)`);
    expect(r.problems.some((p) => p.startsWith("give either --alto or --page-xmls"))).toBe(true);
    expect(r.problems.some((p) => p.includes("is JSON null"))).toBe(true);
    expect(collectInputs({}).problems).toEqual(["--images DIR is required"]);
  });

  test("PAGE files are matched by stem too", () => {
    const images = dir({ "x 1.jpg": JPEG, "x 2.jpg": JPEG });
    const page = dir({ "x 1.xml": "<PcGts/>" });
    const r = collectInputs({ imagesDir: images, pageDir: page });
    expect(r.problems).toEqual([`image x 2.jpg has no PAGE XML file ${join(page, "x 2.xml")}`]);
  });

  test("sniffImage recognises the server's formats", () => {
    expect(sniffImage(JPEG)).toBe("jpeg");
    expect(sniffImage(PNG)).toBe("png");
    expect(sniffImage(new Uint8Array([0x49, 0x49, 0x2a, 0]))).toBe("tiff");
    expect(sniffImage(new Uint8Array([0x4d, 0x4d, 0, 0x2a]))).toBe("tiff");
    expect(sniffImage(new TextEncoder().encode("RIFF\0\0\0\0WEBPVP8 "))).toBe("webp");
    expect(sniffImage(new TextEncoder().encode("GIF89a\x01\0\x01\0"))).toBe("gif");
    const bmpHead = new Uint8Array(18);
    bmpHead.set([0x42, 0x4d]);
    bmpHead[14] = 40; // BITMAPINFOHEADER
    expect(sniffImage(bmpHead)).toBe("bmp");
    expect(sniffImage(new TextEncoder().encode("BM is a text file, not a bitmap"))).toBeUndefined();
    expect(sniffImage(new TextEncoder().encode("<html>"))).toBeUndefined();
  });
});

describe("buildEngineSettings", () => {
  test("nothing given → no engine_settings", () => {
    const problems: string[] = [];
    expect(buildEngineSettings({}, problems)).toBeUndefined();
    expect(problems).toEqual([]);
  });

  test("reference flags build the reference object", () => {
    const problems: string[] = [];
    const s = buildEngineSettings(
      { outputs: { alto: true, crops: true, renders: false }, imageCaptioningSettings: '{"api":"openrouter","categories":["Map"]}' },
      problems,
    );
    expect(problems).toEqual([]);
    expect(s).toEqual({ outputs: { alto: true, crops: true }, image_captioning: { api: "openrouter", categories: ["Map"] } });
  });

  test("--config file, flags add outputs, captioning file replaces", () => {
    const d = dir({
      "c.json": JSON.stringify({ outputs: { embeddings: true }, image_captioning: { model: "a" } }),
      "ic.json": JSON.stringify({ model: "b", max_tokens: 10 }),
    });
    const problems: string[] = [];
    const s = buildEngineSettings(
      { config: join(d, "c.json"), outputs: { alto: true }, imageCaptioningSettings: join(d, "ic.json") },
      problems,
    );
    expect(problems).toEqual([]);
    expect(s).toEqual({ outputs: { embeddings: true, alto: true }, image_captioning: { model: "b", max_tokens: 10 } });
  });

  test("bad config and captioning settings are problems with reasons", () => {
    const d = dir({ "bad.json": JSON.stringify({ outputs: { altoo: true }, extra: 1 }), "nj.json": "{", "arr.json": "[1]" });
    const problems: string[] = [];
    buildEngineSettings({ config: join(d, "bad.json") }, problems);
    buildEngineSettings({ config: join(d, "nj.json") }, problems);
    buildEngineSettings({ config: join(d, "missing.json") }, problems);
    buildEngineSettings({ imageCaptioningSettings: "not json" }, problems);
    buildEngineSettings({ imageCaptioningSettings: join(d, "arr.json") }, problems);
    expect(problems).toHaveLength(5);
    expect(problems[0]).toContain('unknown member "extra" at the top level');
    expect(problems[0]).toContain('unknown member "altoo" in outputs');
    expect(problems[1]).toContain("is not valid JSON");
    expect(problems[2]).toBe(`cannot read config ${join(d, "missing.json")}: no such file`);
    expect(problems[3]).toContain("is neither a file nor a JSON string");
    expect(problems[4]).toBe("--image-captioning-settings must be a JSON object");
  });
});

describe("progress", () => {
  function capture() {
    const chunks: string[] = [];
    return { out: { write: (s: string) => chunks.push(s), columns: 100 }, text: () => chunks.join("") };
  }

  test("mode selection and NO_COLOR", () => {
    expect(chooseMode({ json: true, stderrIsTty: true })).toBe("quiet");
    expect(chooseMode({ json: false, stderrIsTty: true })).toBe("bars");
    expect(chooseMode({ json: false, stderrIsTty: false })).toBe("lines");
    expect(colorEnabled({ NO_COLOR: "1" })).toBe(false);
    expect(colorEnabled({ NO_COLOR: "" })).toBe(true);
    expect(colorEnabled({})).toBe(true);
  });

  test("bar widths", () => {
    expect(bar(0, 10)).toBe(" ".repeat(10));
    expect(bar(1, 10)).toBe("█".repeat(10));
    expect(bar(0.5, 10)).toBe("█".repeat(5) + " ".repeat(5));
    expect([...bar(0.55, 10)]).toHaveLength(10);
    expect(bar(7, 4)).toBe("████");
  });

  test("bars: no escape colour codes with NO_COLOR, colours otherwise", () => {
    const plain = capture();
    const r = createReporter("bars", { color: false, out: plain.out });
    r.uploadStart(2, 2048);
    r.uploadProgress(2, 2048);
    r.uploadEnd();
    r.job({ state: "processing", progress: 0.5, log_user: "page 1 done\npage 2 done" });
    r.end();
    expect(plain.text()).not.toMatch(/\x1b\[[0-9;]*m/);
    expect(plain.text()).toContain("2/2 files");
    expect(plain.text()).toContain(" 50% processing");
    expect(plain.text()).toContain("page 2 done");
    const coloured = capture();
    const c = createReporter("bars", { color: true, out: coloured.out });
    c.job({ state: "queued", progress: 0 });
    expect(coloured.text()).toMatch(/\x1b\[32m/);
  });

  test("lines: state changes and new log lines only, no bars", () => {
    const cap = capture();
    const r = createReporter("lines", { out: cap.out });
    r.job({ state: "queued", progress: 0 });
    r.job({ state: "processing", progress: 0.1, log_user: "a" });
    r.job({ state: "processing", progress: 0.2, log_user: "a\nb" });
    r.job({ state: "processing", progress: 0.3, log_user: "a\nb" });
    expect(cap.text()).toBe("Job queued, progress 0%\nJob processing, progress 10%\n  a\n  b\n");
    expect(cap.text()).not.toContain("\r");
  });
});
