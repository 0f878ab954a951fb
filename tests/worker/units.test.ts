/**
 * The worker's pure parts on real files: ZIP writer/reader (fflate, streaming), unsafe archive
 * entries, INI edits, the docs/processor.md §7.2 command line, §7.3 config edits, progress-line parsing, names.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unzipSync, zipSync, strToU8 } from "fflate";
import { UnsafeZipError } from "../../src/shared/zip/entry-name.ts";
import { unzipSafe, ZipTooLargeError } from "../../src/shared/zip/extract.ts";
import { listFiles, zipDirectory } from "../../src/shared/zip/write.ts";
import { parseIni, sectionViews } from "../../src/python-compat/configparser.ts";
import { IniDocument } from "../../src/worker/ini.ts";
import { prepareConfig, processorArgs } from "../../src/worker/processor-config.ts";
import { localProcessCount } from "../../src/cli/local-workers.ts";
import { parseProgress } from "../../src/worker/processor.ts";
import { safeChild, stem, timestampForName, UnsafeNameError } from "../../src/worker/paths.ts";
import { splitCommand } from "../../src/worker/options.ts";
import { progressLine } from "../../src/processor/run.ts";

const root = mkdtempSync(join(tmpdir(), "worker-units-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => {
  const d = join(root, String(n++));
  mkdirSync(d, { recursive: true });
  return d;
};

describe("zip", () => {
  test("zipDirectory stores every file with its relative path, skips empty dirs, no .part left", async () => {
    const src = fresh();
    mkdirSync(join(src, "alto"));
    mkdirSync(join(src, "empty"));
    mkdirSync(join(src, "renders", "deep"), { recursive: true });
    writeFileSync(join(src, "alto", "p1.xml"), "<alto/>");
    writeFileSync(join(src, "renders", "deep", "x.jpg"), Buffer.alloc(3 * 1024 * 1024 + 7, 9));
    writeFileSync(join(src, "zero.txt"), "");
    const out = join(fresh(), "result.zip");
    expect(await zipDirectory(src, out)).toBe(3);
    expect(existsSync(`${out}.part`)).toBe(false);
    const entries = unzipSync(readFileSync(out));
    expect(Object.keys(entries).sort()).toEqual(["alto/p1.xml", "renders/deep/x.jpg", "zero.txt"]);
    expect(new TextDecoder().decode(entries["alto/p1.xml"])).toBe("<alto/>");
    expect(entries["renders/deep/x.jpg"]!.length).toBe(3 * 1024 * 1024 + 7);
    expect(entries["renders/deep/x.jpg"]!.every((b) => b === 9)).toBe(true);
    expect(entries["zero.txt"]!.length).toBe(0);
  });

  test("unzipSafe round-trips what zipDirectory wrote", async () => {
    const src = fresh();
    mkdirSync(join(src, "a", "b"), { recursive: true });
    writeFileSync(join(src, "config.ini"), "[X]\nmethod = Y\n");
    writeFileSync(join(src, "a", "b", "model.bin"), Buffer.alloc(2_500_000, 1));
    const zip = join(fresh(), "e.zip");
    await zipDirectory(src, zip);
    const dest = join(fresh(), "out");
    expect((await unzipSafe(zip, dest)).sort()).toEqual(["a/b/model.bin", "config.ini"]);
    expect(await listFiles(dest)).toEqual(["a/b/model.bin", "config.ini"]);
    expect(readFileSync(join(dest, "a", "b", "model.bin")).length).toBe(2_500_000);
  });

  for (const bad of ["../evil.txt", "a/../../evil.txt", "/abs.txt", "a\\..\\evil.txt", "C:/evil.txt"]) {
    test(`unzipSafe refuses entry ${JSON.stringify(bad)} and writes nothing outside`, async () => {
      const dir = fresh();
      const zip = join(dir, "bad.zip");
      writeFileSync(zip, zipSync({ "ok.txt": strToU8("fine"), [bad]: strToU8("evil") }));
      const dest = join(dir, "inside", "target");
      await expect(unzipSafe(zip, dest)).rejects.toBeInstanceOf(UnsafeZipError);
      expect(existsSync(join(dir, "inside", "evil.txt"))).toBe(false);
      expect(existsSync(join(dir, "evil.txt"))).toBe(false);
      expect(existsSync("/abs.txt")).toBe(false);
    });
  }

  test("unzipSafe stops a ZIP bomb: past its byte limit (default 200x the archive, at least 1 GiB) and past its file count", async () => {
    const dir = fresh();
    const zip = join(dir, "bomb.zip");
    writeFileSync(zip, zipSync({ "zeros.bin": new Uint8Array(64 * 1024 * 1024) }, { level: 9 }));
    expect(statSync(zip).size).toBeLessThan(200 * 1024); // ~64 MiB in well under 200 KiB
    const dest = join(dir, "out");
    await expect(unzipSafe(zip, dest, { maxBytes: 8 * 1024 * 1024 })).rejects.toBeInstanceOf(ZipTooLargeError);
    expect(readdirSync(dest)).toEqual([]); // the entry cut short is removed, no temporary file left
    const many = join(dir, "many.zip");
    writeFileSync(many, zipSync(Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`f${i}.txt`, strToU8("x")]))));
    await expect(unzipSafe(many, join(dir, "out2"), { maxEntries: 10 })).rejects.toThrow("10 files");
    expect((await unzipSafe(many, join(dir, "out3"))).length).toBe(50); // the defaults let ordinary archives through
  });

  test("unzipSafe extracts nothing from a file that is not a ZIP", async () => {
    const dir = fresh();
    writeFileSync(join(dir, "x.zip"), "this is not a zip at all, just text ".repeat(10));
    const dest = join(dir, "out");
    expect(
      await unzipSafe(join(dir, "x.zip"), dest).then(
        (files) => files.length,
        () => -1,
      ),
    ).toBeLessThanOrEqual(0);
    expect(await listFiles(dest)).toEqual([]);
  });
});

describe("ini", () => {
  test("get is case-insensitive, set replaces a key with its continuation lines, keeps comments", () => {
    const doc = new IniDocument("# top\n[A]\nMETHOD = X\nApi_Key = old\n  more\n; note\n\n[B]\nmethod: Y\n");
    expect(doc.get("A", "method")).toBe("X");
    expect(doc.get("A", "API_KEY")).toBe("old\nmore");
    expect(doc.get("B", "METHOD")).toBe("Y");
    doc.set("A", "API_KEY", "new%%key");
    doc.set("B", "CATEGORIES", '["Image"]');
    expect(doc.toString()).toBe('# top\n[A]\nMETHOD = X\nApi_Key = new%%key\n; note\n\n[B]\nmethod: Y\nCATEGORIES = ["Image"]\n');
  });

  test("the editor reads lines as the processor's configparser reader does (one tokenizer)", () => {
    const text = "\uFEFF[A] ; header comment\nprompt = one\n\n  two\n  # not part of it\n  three\n\nmethod = M\n[B]\nx = 1\n";
    const doc = new IniDocument(text);
    const [a] = sectionViews(parseIni(text));
    // a blank line inside a value and an indented comment do not end it; a header may carry a comment
    expect(doc.get("A", "PROMPT")).toBe("one\n\ntwo\nthree");
    expect(doc.get("A", "PROMPT")).toBe(a!.get("prompt")!);
    expect(doc.get("A", "method")).toBe(a!.get("method")!);
    doc.set("A", "prompt", "new");
    expect(doc.toString()).toBe("\uFEFF[A] ; header comment\nprompt = new\n\nmethod = M\n[B]\nx = 1\n");
    expect(sectionViews(parseIni(doc.toString()))[0]!.get("prompt")).toBe("new");
  });
});

describe("processor command line (docs/processor.md §7.2)", () => {
  const inputs = { imagesDir: "/j/images" };
  test("minimal job: config, images, logging level, device", () => {
    expect(
      processorArgs({ configPath: "/e/config.ini", inputs, resultDir: "/j/result", settings: {}, loggingLevel: "INFO", device: "gpu" }),
    ).toEqual(["--config", "/e/config.ini", "--input-image-path", "/j/images", "--logging-level", "INFO", "--device", "gpu"]);
  });
  test("every input and output switch", () => {
    const args = processorArgs({
      configPath: "c.ini",
      inputs: { imagesDir: "/j/images", altoDir: "/j/alto", pageDir: "/j/page_xml", metaFile: "/j/meta.json" },
      resultDir: "/j/result",
      settings: {
        outputs: {
          alto: true,
          embeddings: true,
          embeddings_jsonlines: true,
          renders: true,
          crops: true,
          image_captioning_prompts: true,
          bogus: true,
        },
      },
      loggingLevel: "DEBUG",
      device: "cpu",
    });
    expect(args).toEqual([
      "--config",
      "c.ini",
      "--input-image-path",
      "/j/images",
      "--logging-level",
      "DEBUG",
      "--device",
      "cpu",
      "--input-alto-path",
      "/j/alto",
      "--input-xml-path",
      "/j/page_xml",
      "--input-metadata-path",
      "/j/meta.json",
      "--output-alto-path",
      "/j/result/alto",
      "--output-embeddings-path",
      "/j/result/embeddings",
      "--embeddings-jsonlines",
      "--output-render-path",
      "/j/result/renders",
      "--output-crops-path",
      "/j/result/crops",
      "--output-image-captioning-prompts-path",
      "/j/result/image_captioning_prompts",
    ]);
  });
  test("--process-count is passed only above 1 (the reference worker never passes it)", () => {
    const base = { configPath: "c", inputs, resultDir: "/r", settings: {}, loggingLevel: "INFO", device: "cpu" };
    expect(processorArgs({ ...base, processCount: 3 }).slice(-2)).toEqual(["--process-count", "3"]);
    expect(processorArgs({ ...base, processCount: 1 })).not.toContain("--process-count");
    expect(processorArgs(base)).not.toContain("--process-count");
  });
  test("serve's local workers share the cores, then the memory (512 MiB per page process); at least 1", () => {
    const GiB = 1024 ** 3;
    expect(localProcessCount(1, 2, 24 * GiB)).toBe(2);
    expect(localProcessCount(2, 8, 24 * GiB)).toBe(4);
    expect(localProcessCount(3, 2, 24 * GiB)).toBe(1);
    expect(localProcessCount(1, 64, 8 * GiB)).toBe(16);
    expect(localProcessCount(1, 4, 0.25 * GiB)).toBe(1);
  });
  test("--embeddings-jsonlines is passed even without embeddings; false switches add nothing", () => {
    const args = processorArgs({
      configPath: "c",
      inputs,
      resultDir: "/r",
      settings: { outputs: { embeddings_jsonlines: true, alto: false } },
      loggingLevel: "INFO",
      device: "gpu",
    });
    expect(args.slice(8)).toEqual(["--embeddings-jsonlines"]);
  });
});

describe("config edits (docs/processor.md §7.3)", () => {
  test("without image_captioning the engine's own config is used untouched", async () => {
    const engine = fresh();
    writeFileSync(join(engine, "config.ini"), "[X]\nMETHOD = YOLO_DETECTION\n");
    expect(await prepareConfig(engine, fresh(), { outputs: { alto: true } })).toBe(join(engine, "config.ini"));
  });

  test("image_captioning edits a copy: API, API_KEY (with %), CATEGORIES, prompt settings; shared engine untouched", async () => {
    const engine = fresh();
    const original =
      "[PAGE_PARSER]\nx = 1\n\n[CAPTION]\nMETHOD = OPENAI_COMPLETIONS_IMAGE_CAPTIONING\nAPI = old\nPROMPT_SETTINGS = prompts/p.json\n\n[INITIAL]\nMETHOD = INITIAL_RECOGNITION\nAPI = keep\n";
    writeFileSync(join(engine, "config.ini"), original);
    mkdirSync(join(engine, "prompts"));
    writeFileSync(join(engine, "prompts", "p.json"), JSON.stringify({ model: "m0", max_tokens: 10, other: 1 }));
    const job = fresh();
    const cfg = await prepareConfig(engine, job, {
      image_captioning: { api: "openrouter", api_key: "sk-50%off", categories: ["Mapa", "Obrázek"], model: "m1", temperature: 0.1 },
    });
    expect(cfg).toBe(join(job, "engine", "config.ini"));
    const ini = new IniDocument(readFileSync(cfg, "utf8"));
    expect(ini.get("CAPTION", "api")).toBe("openrouter");
    // the job's key is written to a job-private file that API_KEY names: always the key itself, never a path
    expect(ini.get("CAPTION", "api_key")).toBe(".job_api_key");
    expect(readFileSync(join(job, "engine", ".job_api_key"), "utf8")).toBe("sk-50%off");
    expect(ini.get("CAPTION", "categories")).toBe('["Mapa","Obrázek"]');
    expect(ini.get("INITIAL", "api")).toBe("keep");
    expect(JSON.parse(readFileSync(join(job, "engine", "prompts", "p.json"), "utf8"))).toEqual({ model: "m1", max_tokens: 10, other: 1 });
    expect(readFileSync(join(engine, "config.ini"), "utf8")).toBe(original);
    expect(JSON.parse(readFileSync(join(engine, "prompts", "p.json"), "utf8")).model).toBe("m0");
  });

  test("a job's api_key naming a file of the worker's host is still just a key; a new api without a key is refused", async () => {
    const engine = fresh();
    writeFileSync(
      join(engine, "config.ini"),
      "[CAPTION]\nMETHOD = OPENAI_COMPLETIONS_IMAGE_CAPTIONING\nAPI = https://llm.example.org/v1/chat/completions\nAPI_KEY = engine-key.txt\nPROMPT_SETTINGS = p.json\n",
    );
    writeFileSync(join(engine, "engine-key.txt"), "sk-ENGINE-SECRET");
    writeFileSync(join(engine, "p.json"), JSON.stringify({ model: "m0", text: { default: "Describe" } }));
    const secret = join(fresh(), "host-secret.txt");
    writeFileSync(secret, "TOPSECRET");
    // The processor's own reading of API_KEY (a file relative to the config, else the value) then gives the job's text.
    const { loadProcessorConfig } = await import("../../src/processor/config/engine-config.ts");
    const { builtinAliases } = await import("../../src/processor/config/aliases.ts");
    const keyOf = (cfg: string) => {
      const c = loadProcessorConfig(cfg, builtinAliases());
      const cap = c.engines.find((e) => e.kind === "captioning") as { apiKey: string; apiUrl: string };
      return [cap.apiUrl, cap.apiKey];
    };
    for (const bad of [secret, "engine-key.txt", "../../etc/hostname"]) {
      const cfg = await prepareConfig(engine, fresh(), {
        image_captioning: { api: "http://attacker.invalid/v1/chat/completions", api_key: bad },
      });
      expect(keyOf(cfg)).toEqual(["http://attacker.invalid/v1/chat/completions", bad]);
    }
    // Another API without the job's own key: refused, the engine's key is never sent there.
    await expect(
      prepareConfig(engine, fresh(), { image_captioning: { api: "http://attacker.invalid/v1/chat/completions" } }),
    ).rejects.toThrow(/needs image_captioning\.api_key/);
    // The engine's own API (any case/spacing) keeps the engine's key.
    const same = await prepareConfig(engine, fresh(), {
      image_captioning: { api: " HTTPS://llm.example.org/v1/chat/completions ", model: "m" },
    });
    expect(keyOf(same)[1]).toBe("sk-ENGINE-SECRET");
  });

  test("an engine without config.ini is a clear error", async () => {
    await expect(prepareConfig(fresh(), fresh(), {})).rejects.toThrow(/config\.ini/);
  });
});

describe("small helpers", () => {
  test("parseProgress reads the reference DONE line with any prefix", () => {
    expect(parseProgress("[INFO|2026-01-05_14-03-22|parse_folder.py:Computator]: DONE 3/10 (30.00 %) [id: page_0003] Time:1.25")).toEqual({
      done: 3,
      total: 10,
      pageId: "page_0003",
    });
    expect(parseProgress("DONE 1/1")).toEqual({ done: 1, total: 1, pageId: undefined });
    expect(parseProgress("Processing page_0001")).toBeNull();
    expect(parseProgress("DONE 5/3")).toBeNull();
  });
  test("parseProgress reads the PAGE lines of our own processor (src/processor/run.ts)", () => {
    expect(parseProgress(progressLine(3, 8, true, 0.21, "dev 003"))).toEqual({ done: 3, total: 8, pageId: "dev 003", failed: false });
    expect(parseProgress(progressLine(4, 8, false, 1.5, "p4"))).toEqual({ done: 4, total: 8, pageId: "p4", failed: true });
  });
  test("stem follows os.path.splitext", () => {
    expect([stem("img1.png"), stem("a.b.tif"), stem(".hidden"), stem("noext"), stem("..x")]).toEqual([
      "img1",
      "a.b",
      ".hidden",
      "noext",
      "..x",
    ]);
  });
  test("safeChild refuses names that are not one plain component", () => {
    for (const bad of ["", ".", "..", "a/b", "a\\b", "x\u0000y", "tab\there"]) expect(() => safeChild("/d", bad)).toThrow(UnsafeNameError);
    expect(safeChild("/d", "x y ü.png")).toBe("/d/x y ü.png");
    expect(safeChild("/d", "a..b.jpg")).toBe("/d/a..b.jpg");
  });
  test("timestampForName drops the zone and refuses odd text", () => {
    expect(timestampForName("2026-11-28T15:35:38.060400Z")).toBe("2026-11-28T15:35:38.060400");
    expect(timestampForName("2026-11-28T15:37:29.782314+00:00")).toBe("2026-11-28T15:37:29.782314");
    expect(() => timestampForName("../../etc")).toThrow(UnsafeNameError);
  });
  test("splitCommand handles quotes and escapes", () => {
    expect(splitCommand(`python3 -m annopage`)).toEqual(["python3", "-m", "annopage"]);
    expect(splitCommand(`"/opt/my tools/run" --x 'a b' c\\ d ""`)).toEqual(["/opt/my tools/run", "--x", "a b", "c d", ""]);
    expect(() => splitCommand(`bad "quote`)).toThrow(/unterminated/);
  });
});
