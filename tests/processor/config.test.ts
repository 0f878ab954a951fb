/** config.ini reading (docs/processor.md §2), LLM API aliases (§2.6) and the Jinja subset (§3.6.1). */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { removeTempDirs, tempDir } from "../helpers/temp.ts";
import { join } from "node:path";
import { parseIni, sectionViews } from "../../src/python-compat/configparser.ts";
import { DEFAULT_CONFIG_INI, loadProcessorConfig, parseProcessorConfig } from "../../src/processor/config/engine-config.ts";
import { ConfigFileError } from "../../src/processor/config/section-reader.ts";
import { builtinAliases, loadAliases, resolveApi } from "../../src/processor/config/aliases.ts";
import { renderTemplate } from "../../src/python-compat/jinja.ts";
import { parsePromptResult } from "../../src/processor/caption/captioning.ts";
import { discoverPages, extensionOf, loadMetadata, pageIdOf, processedIds } from "../../src/processor/run.ts";

afterAll(removeTempDirs);

describe("INI with configparser semantics", () => {
  test("keys are case-insensitive, values continue on indented lines, comments are whole-line only", () => {
    const [s] = sectionViews(parseIni('[A]\nMethod = X\n# comment\n; also\nList = ["a",\n    "b"]\nurl: http://h/x ; not a comment\n'));
    expect(s!.get("METHOD")).toBe("X");
    expect(s!.get("method")).toBe("X");
    expect(s!.get("list")).toBe('["a",\n"b"]');
    expect(JSON.parse(s!.get("LIST")!)).toEqual(["a", "b"]);
    expect(s!.get("URL")).toBe("http://h/x ; not a comment");
  });

  test("%% and %(key)s interpolation, [DEFAULT] keys visible everywhere", () => {
    const [s] = sectionViews(parseIni("[DEFAULT]\nbase = /models\n[E]\nmodel_path = %(base)s/det.onnx\nkey = sk-50%%off\n"));
    expect(s!.get("MODEL_PATH")).toBe("/models/det.onnx");
    expect(s!.get("key")).toBe("sk-50%off");
  });

  test("the same sections, keys and values as Python's configparser (run here) on tricky layouts", () => {
    const docs = [
      '[A]\nCATEGORIES = ["Table",\n\n    "Image"]\nnext = 1\n',
      "[DETECT] ; detection\nMETHOD = YOLO_DETECTION\n[B]   \nx: 1\n",
      "[A]\nv = one\n\n\n  two\n\n  three\n\nw = 2\n\n",
      "[A]\nv = one\n  two\n# a comment inside\n  three\nw=\n",
      "[A]\nv = x\n\n[B]\nv = y\n  more\n",
    ];
    const script = [
      "import configparser, json, sys",
      "out = []",
      "for doc in json.loads(sys.stdin.read()):",
      "    cp = configparser.ConfigParser(interpolation=None)",
      "    cp.read_string(doc)",
      "    out.append([[name, [[k, v] for k, v in cp.items(name, raw=True) if k not in cp.defaults()]] for name in cp.sections()])",
      "print(json.dumps(out))",
    ].join("\n");
    const py = Bun.spawnSync(["python3", "-c", script], { stdin: Buffer.from(JSON.stringify(docs)), stderr: "pipe" });
    expect(py.stderr.toString()).toBe("");
    const expected = JSON.parse(py.stdout.toString());
    const ours = docs.map((d) => parseIni(d).sections.map((sec) => [sec.name, [...sec.raw.entries()]]));
    expect(ours).toEqual(expected);
    expect(expected[0][0][1][0]).toEqual(["categories", '["Table",\n\n"Image"]']); // the blank line stays inside the value
  });

  test("a lone % is an error, as are duplicates and keys outside a section", () => {
    expect(() => sectionViews(parseIni("[E]\nkey = 50%off\n"))[0]!.get("key")).toThrow(/%%/);
    expect(() => parseIni("[E]\na = 1\nA = 2\n")).toThrow(/twice/);
    expect(() => parseIni("[E]\n[E]\n")).toThrow(/twice/);
    expect(() => parseIni("a = 1\n")).toThrow(/not inside a \[SECTION\]/);
  });
});

describe("processing configuration", () => {
  const aliases = builtinAliases();
  const dir = tempDir("cfg");
  mkdirSync(join(dir, "engine"), { recursive: true });
  writeFileSync(
    join(dir, "engine", "prompt.json"),
    JSON.stringify({ model: "m1", text: { default: "Describe {{ element_category }}" }, max_tokens: 100 }),
  );
  writeFileSync(join(dir, "engine", "key.txt"), "  sk-from-file\n");
  const cfgPath = join(dir, "engine", "config.ini");

  test("the built-in default runs OCR (ces+eng+deu, tessdata_fast) and detection, no LLM", () => {
    const c = parseProcessorConfig(DEFAULT_CONFIG_INI, null, aliases);
    expect(c.ocr).toEqual({ languages: ["ces", "eng", "deu"], models: "fast", threads: 1 });
    expect(c.engines.map((e) => e.kind)).toEqual(["detection"]);
  });

  test("TESSDATA chooses the OCR model set: best_int for accuracy; another value is a config error", () => {
    const ocr = (extra: string) => parseProcessorConfig(`[OCR]\nMETHOD = TESSERACT_OCR\nLANGUAGES = eng\n${extra}`, null, aliases).ocr;
    expect(ocr("TESSDATA = best_int\n")).toEqual({ languages: ["eng"], models: "best_int", threads: 1 });
    expect(ocr("TESSDATA = FAST\n")).toEqual({ languages: ["eng"], models: "fast", threads: 1 });
    expect(() => ocr("TESSDATA = best\n")).toThrow(/TESSDATA must be one of fast, best_int, not 'best'/);
    expect(ocr("THREADS = 3\n")?.threads).toBe(3);
    expect(ocr("THREADS = Auto\n")?.threads).toBe("auto");
    for (const bad of ["0", "two", "1.5", "65"])
      expect(() => ocr(`THREADS = ${bad}\n`)).toThrow(/THREADS must be auto or a whole number from 1 to 64/);
  });

  test("captioning section: alias resolved, API_KEY read from a config-relative file, prompt settings loaded", () => {
    writeFileSync(
      cfgPath,
      '[PARSE_FOLDER]\nOUTPUT_ALTO_PATH = out/alto\n\n[CAP]\nmethod = OPENAI_COMPLETIONS_IMAGE_CAPTIONING\nAPI = OpenRouter\nAPI_KEY = key.txt\nPROMPT_SETTINGS = prompt.json\nCATEGORIES = ["Image", "Map"]\nMAX_ATTEMPTS = 2\n',
    );
    const c = loadProcessorConfig(cfgPath, aliases);
    const cap = c.engines[0]!;
    expect(cap.kind).toBe("captioning");
    if (cap.kind !== "captioning") return;
    expect(cap.apiUrl).toBe("https://openrouter.ai/api/v1/chat/completions");
    expect(cap.apiKey).toBe("sk-from-file");
    expect(cap.prompt).toEqual({ model: "m1", text: { default: "Describe {{ element_category }}" }, maxTokens: 100 });
    expect(cap.categories).toEqual(["Image", "Map"]);
    expect(cap.maxAttempts).toBe(2);
    expect(c.parseFolder.OUTPUT_ALTO_PATH).toBe("out/alto");
  });

  test("a literal API_KEY is used as is; a literal URL keeps its case", () => {
    writeFileSync(
      cfgPath,
      "[CAP]\nMETHOD = GPT_IMAGE_CAPTIONING\nAPI = http://127.0.0.1:9/V1/Chat\nAPI_KEY = literal-key\nPROMPT_SETTINGS = prompt.json\n",
    );
    const c = loadProcessorConfig(cfgPath, aliases);
    const cap = c.engines[0]!;
    expect(cap.kind === "captioning" && cap.apiKey).toBe("literal-key");
    expect(cap.kind === "captioning" && cap.apiUrl).toBe("http://127.0.0.1:9/V1/Chat");
    expect(c.warnings.join("\n")).toContain("deprecated");
  });

  test('INITIAL_RECOGNITION: API/API_KEY/PROMPT_SETTINGS, categories default to ["initial"]', () => {
    writeFileSync(join(dir, "engine", "initial.json"), JSON.stringify({ model: "openai/gpt-5.4-mini", text: "Recognize the initial." }));
    writeFileSync(
      cfgPath,
      "[INITIALS]\nmethod = INITIAL_RECOGNITION\napi = test\napi_key = test_key\nprompt_settings = initial.json\n".replace(
        "api = test",
        "api = http://127.0.0.1:1/x",
      ),
    );
    const e = loadProcessorConfig(cfgPath, aliases).engines[0]!;
    expect(e.kind).toBe("initials");
    if (e.kind !== "initials") return;
    expect(e.apiKey).toBe("test_key");
    expect(e.categories).toEqual(["initial"]);
    expect(e.maxAttempts).toBe(3);
    expect(e.prompt).toEqual({ model: "openai/gpt-5.4-mini", text: "Recognize the initial." });
  });

  test("problems name the section and key", () => {
    writeFileSync(cfgPath, "[CAP]\nMETHOD = OPENAI_COMPLETIONS_IMAGE_CAPTIONING\nAPI = openai\nPROMPT_SETTINGS = prompt.json\n");
    expect(() => loadProcessorConfig(cfgPath, aliases)).toThrow("[CAP] API_KEY is required");
    writeFileSync(
      cfgPath,
      "[CAP]\nMETHOD = OPENAI_COMPLETIONS_IMAGE_CAPTIONING\nAPI = openai\nAPI_KEY = k\nPROMPT_SETTINGS = missing.json\n",
    );
    expect(() => loadProcessorConfig(cfgPath, aliases)).toThrow(/\[CAP\] PROMPT_SETTINGS '.*missing.json' is not a readable JSON file/);
    writeFileSync(cfgPath, "[DET]\nMETHOD = YOLO_DETECTION\nMODEL_PATH = nope.pt\n");
    expect(() => loadProcessorConfig(cfgPath, aliases)).toThrow(/MODEL_PATH file not found: '.*engine\/nope.pt'/);
    writeFileSync(cfgPath, "[DET]\nMETHOD = YOLO_DETECTION\nDETECTION_THRESHOLD = high\n");
    expect(() => loadProcessorConfig(cfgPath, aliases)).toThrow("DETECTION_THRESHOLD must be a number");
    writeFileSync(cfgPath, "[OCR]\nMETHOD = TESSERACT_OCR\nLANGUAGES = eng+fra\n");
    expect(() => loadProcessorConfig(cfgPath, aliases)).toThrow("OCR language 'fra' is not shipped");
    expect(() => loadProcessorConfig(join(dir, "nope.ini"), aliases)).toThrow(ConfigFileError);
  });

  test("unknown and unsupported methods are skipped with a warning; bad CATEGORIES fall back to no filter", () => {
    writeFileSync(cfgPath, "[X]\nMETHOD = SOMETHING\n[Y]\nfoo = 1\n[D]\nMETHOD = YOLO_DETECTION\nCATEGORIES = Image\n");
    const c = loadProcessorConfig(cfgPath, aliases);
    expect(c.engines).toHaveLength(1);
    expect(c.engines[0]!.kind === "detection" && c.engines[0]!.categories).toBeNull();
    expect(c.warnings.some((w) => w.includes("unknown METHOD 'SOMETHING'"))).toBe(true);
    expect(c.warnings.some((w) => w.includes("[Y] has no METHOD"))).toBe(true);
  });

  test("alias file adds and overrides aliases", () => {
    const f = join(dir, "aliases.json");
    writeFileSync(
      f,
      JSON.stringify([
        { aliases: ["Local"], urls: { base: "x", completions: "http://127.0.0.1:1/v1/chat/completions" } },
        { aliases: ["openai"], urls: { completions: "http://proxy/v1/chat/completions" } },
      ]),
    );
    const t = loadAliases(f);
    expect(resolveApi("LOCAL", t)).toBe("http://127.0.0.1:1/v1/chat/completions");
    expect(resolveApi("openai", t)).toBe("http://proxy/v1/chat/completions");
    expect(resolveApi("cerit", t)).toBe("https://llm.ai.e-infra.cz/v1/chat/completions");
  });
});

describe("Jinja subset with Python value formatting", () => {
  test("undefined → empty, None → 'None', lists → Python literals, numbers", () => {
    expect(
      renderTemplate("[{{ missing }}] {{ element_caption }} {{ tags }} {{ n }} {{ f }} {{ b }}", {
        element_caption: null,
        tags: ["a", "b's"],
        n: 3,
        f: 2.0,
        b: true,
      }),
    ).toBe(`[] None ['a', "b's"] 3 2 True`);
  });

  test("metadata numbers print as Python's Jinja2 prints json.loads' values (Jinja2's output recorded)", () => {
    const d = tempDir("jinja-floats");
    const meta =
      '{"p.jpg": {"whole": 1.0, "thousand": 1e3, "half": 2.5, "tiny": 1e-7, "big": 1e16, "int": 3, "neg": -0.0, "zero": 0.0, "list": [1.0, 2, 0.1], "nested": {"v": 5.0}}}';
    writeFileSync(join(d, "meta.json"), meta);
    const template =
      "{{ whole }}|{{ thousand }}|{{ half }}|{{ tiny }}|{{ big }}|{{ int }}|{{ neg }}|{{ list }}|{{ nested.v }}|{{ nested }}|{% if zero %}t{% else %}f{% endif %}|{% if whole == 1 %}eq{% endif %}|{% if 2 in list %}in{% endif %}";
    // Jinja2 3.1.6 on Python 3.11, recorded (Jinja2 is not on a fresh machine); to reproduce, with meta.json and the template above:
    // python3 -c "import json, sys, jinja2; m = json.load(open(sys.argv[1]))['p.jpg']; sys.stdout.write(jinja2.Template(sys.argv[2]).render(**m))" meta.json "$TEMPLATE"
    const jinja2 = "1.0|1000.0|2.5|1e-07|1e+16|3|-0.0|[1.0, 2, 0.1]|5.0|{'v': 5.0}|f|eq|in";
    expect(renderTemplate(template, loadMetadata(join(d, "meta.json"))["p.jpg"] as Record<string, unknown>)).toBe(jinja2);
  });

  test("if / elif / else with is none, is not none, and/or/not, ==, in", () => {
    const t =
      "{% if element_caption is not none and page_title %}Caption: {{ element_caption }}{% elif page_title == 'X' %}X{% else %}none{% endif %}{% if 'a' in tags %}!{% endif %}";
    expect(renderTemplate(t, { element_caption: "Fig. 1", page_title: "T", tags: ["a"] })).toBe("Caption: Fig. 1!");
    expect(renderTemplate(t, { element_caption: null, page_title: "X", tags: [] })).toBe("X");
    expect(renderTemplate(t, { element_caption: null })).toBe("none");
    expect(renderTemplate("{% if not x %}no{% endif %}{# gone #}", {})).toBe("no");
  });

  test("template errors are reported", () => {
    expect(() => renderTemplate("{% if x %}", {})).toThrow("without 'endif'");
    expect(() => renderTemplate("{% for x in y %}{% endfor %}", {})).toThrow("unsupported tag");
  });
});

describe("captioning answer parsing (§3.6.3)", () => {
  const ok = {
    caption_cz: "a",
    caption_en: "b",
    description_cz: null,
    description_en: "d",
    topics_cz: "x, y",
    topics_en: ["x"],
    color_cz: null,
    color_en: "red",
    extra: 1,
  };
  test("all eight keys with string/null (topics also lists) are required; no fence stripping", () => {
    expect(parsePromptResult(JSON.stringify(ok))).not.toBeNull();
    expect(parsePromptResult(`\`\`\`json\n${JSON.stringify(ok)}\n\`\`\``)).toBeNull();
    const { color_en: _, ...missing } = ok;
    expect(parsePromptResult(JSON.stringify(missing))).toBeNull();
    expect(parsePromptResult(JSON.stringify({ ...ok, caption_en: 5 }))).toBeNull();
    expect(parsePromptResult(JSON.stringify({ ...ok, description_en: ["x"] }))).toBeNull();
  });
});

describe("page discovery (§3.1) and skip-processed (§1.3)", () => {
  test("extensions, ids, ignored entries, code-point order", () => {
    expect(extensionOf(".DS_Store")).toBe("");
    expect(extensionOf("p.0001.TIF")).toBe(".tif");
    expect(pageIdOf("p.0001.tif")).toBe("p.0001");
    const d = tempDir("disc");
    for (const n of ["b.jpg", "a.PNG", "Z.tif", "c.xml", "d.logits", "noext", ".DS_Store", "notes.txt"]) writeFileSync(join(d, n), "x");
    mkdirSync(join(d, "sub.dir"));
    expect(discoverPages(d).map((p) => p.imageName)).toEqual(["Z.tif", "a.PNG", "b.jpg", "notes.txt"]);
  });

  test("an id counts as processed only when present in all given output dirs", () => {
    const a = tempDir("skip-a");
    const b = tempDir("skip-b");
    for (const n of ["p1.xml", "p2.xml", "a.b.xml"]) writeFileSync(join(a, n), "");
    for (const n of ["p1.jpg", "a.b.jpg", "x.jpg.bak"]) writeFileSync(join(b, n), "");
    expect([...processedIds([a, b])!].sort()).toEqual(["a.b", "p1"]);
    expect([...processedIds([undefined, b])!].sort()).toEqual(["a.b", "p1", "x"]);
    expect(processedIds([undefined])).toBeNull();
  });
});
