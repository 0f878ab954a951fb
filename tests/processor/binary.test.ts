/**
 * The compiled executable, relocated: dist/annopage (built here when missing or older than the
 * sources) is copied to a temp directory and run from there with the repository hidden (a private
 * mount namespace with an empty tmpfs over the checkout, so neither node_modules nor src/ can be
 * read). OCR (WebAssembly core + traineddata), decoding, detection and the child processes of
 * --process-count must all work from what is embedded in the binary.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { SHARED } from "../helpers/shared.ts";
import { meanColourModel, yoloModel } from "../helpers/onnx-graph.ts";
import { blocks, HEAD, NAMES, page } from "../helpers/onnx-fixture.ts";
import { relocatedBinary, REPO } from "../helpers/cli.ts";
import { removeTempDirs, tempDir } from "../helpers/temp.ts";
import { textPage } from "../helpers/files.ts";
import { join } from "node:path";
import { PROGRESS_RE } from "../../src/processor/run.ts";

afterAll(removeTempDirs);
import { xmllintCheck } from "../helpers/xmllint.ts";

/** Can we hide the checkout from a child (root + unshare)? */
function canHideRepo(): boolean {
  const r = Bun.spawnSync(
    ["unshare", "--mount", "--propagation", "private", "sh", "-c", `mount -t tmpfs none '${REPO}' && test ! -e '${REPO}/package.json'`],
    { stderr: "pipe" },
  );
  return r.exitCode === 0;
}

async function runHidden(
  binary: string,
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const quoted = [binary, "process", ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const cmd = hide
    ? ["unshare", "--mount", "--propagation", "private", "sh", "-c", `mount -t tmpfs none '${REPO}' && exec ${quoted}`]
    : [binary, "process", ...args];
  const proc = Bun.spawn(cmd, { cwd, stdout: "pipe", stderr: "pipe", stdin: "ignore", env: { PATH: "/usr/bin:/bin", HOME: cwd, ...env } });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

let hide = false;
let work = "";
let binary = "";

beforeAll(async () => {
  work = tempDir("binary");
  binary = await relocatedBinary();
  hide = canHideRepo();
  if (!hide)
    console.warn(
      "engine-binary: cannot hide the checkout (no unshare/mount permission); running the relocated binary with the checkout visible",
    );
}, 300_000);

describe("relocated compiled binary", () => {
  test("default configuration: OCR + detection + outputs, with --process-count 2", async () => {
    const img = join(work, "pages");
    mkdirSync(img);
    writeFileSync(join(img, "a.jpg"), textPage(["Orbis sensualium pictus", "The world in pictures"], { picture: true }));
    writeFileSync(join(img, "b.jpg"), textPage(["Svět v obrazech", "Komenský 1658"], { picture: false }));
    const runtimeDir = join(work, "ort-default");
    const r = await runHidden(
      binary,
      [
        "--input-image-path",
        "pages",
        "--output-alto-path",
        "out/alto",
        "--output-crops-path",
        "out/crops",
        "--output-render-path",
        "out/renders",
        "--process-count",
        "2",
        "--device",
        "cpu",
      ],
      work,
      { ANNOPAGE_RUNTIME_DIR: runtimeDir },
    );
    expect(readdirSync(work)).not.toContain("ort-default"); // no ONNX model configured: onnxruntime is never loaded
    expect(r.stderr).not.toContain("node_modules");
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n").filter(Boolean);
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => PROGRESS_RE.test(l) && l.includes(" ok "))).toBe(true);
    const a = readFileSync(join(work, "out", "alto", "a.xml"), "utf8");
    xmllintCheck(a);
    const words = [...a.matchAll(/<String CONTENT="([^"]+)"/g)].map((m) => m[1]);
    expect(words).toEqual(expect.arrayContaining(["Orbis", "pictures"]));
    const b = readFileSync(join(work, "out", "alto", "b.xml"), "utf8");
    expect(b).toContain('CONTENT="Svět"');
    expect(readdirSync(join(work, "out", "renders")).sort()).toEqual(["a.jpg", "b.jpg"]);
  }, 120_000);

  test("OCR of one page on two threads (the OCR worker thread is an entry point of the binary)", async () => {
    const img = join(work, "pages2");
    mkdirSync(img);
    copyFileSync(join(SHARED, "fixtures", "pages", "images", "dev_002.jpg"), join(img, "c.jpg")); // three columns: many text blocks
    writeFileSync(
      join(work, "threads.ini"),
      "[OCR]\nMETHOD = TESSERACT_OCR\nLANGUAGES = eng\nTHREADS = 2\n\n[DET]\nMETHOD = YOLO_DETECTION\n",
    );
    const r = await runHidden(
      binary,
      [
        "--config",
        "threads.ini",
        "--input-image-path",
        "pages2",
        "--output-alto-path",
        "out2/alto",
        "--device",
        "cpu",
        "--logging-level",
        "DEBUG",
      ],
      work,
    );
    expect(r.stderr).not.toContain("node_modules");
    expect(r.code).toBe(0);
    const m = /c: OCR on 2 threads, (\d+) of (\d+) text blocks read on worker threads/.exec(r.stderr);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(0);
    const words = [...readFileSync(join(work, "out2", "alto", "c.xml"), "utf8").matchAll(/<String CONTENT="([^"]+)"/g)].map((m) => m[1]);
    expect(words.length).toBeGreaterThan(200);
  }, 120_000);

  test("a missing config from the binary: one line, exit 255 (§1.6)", async () => {
    const r = await runHidden(binary, ["--config", "missing.ini", "--input-image-path", "pages"], work);
    expect(r.code).toBe(255);
    expect(r.stderr.trim()).toBe("annopage: process: Config file does not exist: 'missing.ini'");
  });

  test("ONNX detector and image encoder from the binary alone: the embedded onnxruntime is unpacked once to a private directory, with --process-count 2", async () => {
    const dir = join(work, "onnx");
    mkdirSync(join(dir, "engine"), { recursive: true });
    mkdirSync(join(dir, "pages"));
    writeFileSync(join(dir, "pages", "p1.png"), page());
    writeFileSync(join(dir, "pages", "p2.png"), page());
    writeFileSync(join(dir, "engine", "yolo.onnx"), yoloModel({ size: 64, head: HEAD, names: NAMES }));
    writeFileSync(join(dir, "engine", "mean.onnx"), meanColourModel());
    writeFileSync(
      join(dir, "engine", "config.ini"),
      '[DET]\nMETHOD = YOLO_DETECTION\nMODEL_PATH = yolo.onnx\n\n[EMB]\nMETHOD = HUGGINGFACE_IMAGE_EMBEDDING\nMODEL_PATH = mean.onnx\nTRUE_RGB = yes\nCATEGORIES = ["photograph"]\n',
    );
    const runtimeDir = join(dir, "ort");
    const r = await runHidden(
      binary,
      [
        "--config",
        "engine/config.ini",
        "--input-image-path",
        "pages",
        "--output-alto-path",
        "alto",
        "--output-embeddings-path",
        "emb",
        "--process-count",
        "2",
      ],
      dir,
      { ANNOPAGE_RUNTIME_DIR: runtimeDir },
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    for (const p of ["p1", "p2"]) {
      expect(blocks(readFileSync(join(dir, "alto", `${p}.xml`), "utf8")).map((b) => [b.type, b.hpos, b.vpos, b.width, b.height])).toEqual([
        ["Photograph", 64, 32, 128, 64],
        ["Map", 68, 32, 128, 64],
        ["Image", 208, 96, 48, 32],
      ]);
      const records = JSON.parse(readFileSync(join(dir, "emb", `${p}.json`), "utf8"));
      expect(records.map((x: any) => [x.tag_id, x.embedding])).toEqual([["photograph_001", [1, 0.5, 0]]]);
    }
    expect(readdirSync(runtimeDir)).toEqual([expect.stringMatching(/^libonnxruntime-\d+\.so\.1$/)]);
  }, 120_000);
});
