/**
 * ONNX models from engine files (docs/decisions.md §12), run end to end through `annopage process` as a child
 * process: a YOLO detector export (letterbox, threshold, NMS, boxes back on the page, class names
 * from the model's metadata or CLASS_NAMES) and an image encoder writing the docs/processor.md §4.3 embeddings. The
 * models are tiny ONNX graphs written by the test (tests/helpers/onnx-graph.ts) whose
 * outputs are known exactly: a fixed detection head, and the mean colour of the crop.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decodeImage } from "../../src/media/index.ts";
import { nms } from "../../src/processor/onnx/nms.ts";
import { parseClassNames } from "../../src/processor/onnx/metadata.ts";
import { meanColourModel, onnxModel, yoloModel } from "../helpers/onnx-graph.ts";
import { blocks, HEAD, NAMES, page } from "../helpers/onnx-fixture.ts";
import { removeTempDirs, tempDir } from "../helpers/temp.ts";
import { runCli } from "../helpers/cli.ts";

afterAll(removeTempDirs);

function setup(name: string, config: string, models: Record<string, Uint8Array>): { dir: string; config: string } {
  const dir = tempDir(`onnx-${name}`);
  mkdirSync(join(dir, "engine"));
  mkdirSync(join(dir, "images"));
  writeFileSync(join(dir, "images", "p1.png"), page());
  for (const [file, bytes] of Object.entries(models)) writeFileSync(join(dir, "engine", file), bytes);
  writeFileSync(join(dir, "engine", "config.ini"), config);
  return { dir, config: join(dir, "engine", "config.ini") };
}

const DET = (extra = "") => `[DET]\nMETHOD = YOLO_DETECTION\nMODEL_PATH = yolo.onnx\nDETECTION_THRESHOLD = 0.2\n${extra}`;

describe("YOLO_DETECTION with an ONNX export", () => {
  test("letterbox, threshold, per-class NMS, boxes mapped back to the page and clipped, names from the model metadata; ALTO, crops and render as for the built-in detector", async () => {
    const { dir, config } = setup("det", DET(), { "yolo.onnx": yoloModel({ size: 64, head: HEAD, names: NAMES }) });
    const r = await runCli(
      [
        "process",
        "--config",
        config,
        "--input-image-path",
        "images",
        "--output-alto-path",
        "alto",
        "--output-crops-path",
        "crops",
        "--output-render-path",
        "renders",
      ],
      { cwd: dir },
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const alto = readFileSync(join(dir, "alto", "p1.xml"), "utf8");
    // descending confidence: a0 0.9; a1 (IoU 0.94 with a0, same class) suppressed; a2 0.85 (other class); a3 below 0.2; a4 clipped
    expect(blocks(alto)).toEqual([
      { type: "Photograph", hpos: 64, vpos: 32, width: 128, height: 64, tag: "photograph_001" },
      { type: "Map", hpos: 68, vpos: 32, width: 128, height: 64, tag: "map_001" },
      { type: "Image", hpos: 208, vpos: 96, width: 48, height: 32, tag: "image_001" },
    ]);
    expect([...alto.matchAll(/<mods:recordInfoNote type="confidence">([^<]*)</g)].map((m) => m[1])).toEqual(["0.900", "0.850", "0.500"]);
    expect([...alto.matchAll(/<mods:recordInfoNote type="element-detection">([^<]*)</g)].map((m) => m[1])).toEqual([
      "yolo",
      "yolo",
      "yolo",
    ]);
    expect(readdirSync(join(dir, "crops")).sort()).toEqual(["p1_image_001.jpg", "p1_map_001.jpg", "p1_photograph_001.jpg"]);
    const crop = await decodeImage(join(dir, "crops", "p1_image_001.jpg"));
    expect([crop.width, crop.height]).toEqual([48, 32]);
    const render = await decodeImage(join(dir, "renders", "p1.jpg"));
    expect([render.width, render.height]).toEqual([256, 128]);
  }, 120_000);

  test("CLASS_NAMES overrides the metadata, AGNOSTIC_NMS suppresses across classes, CATEGORIES filters by class name", async () => {
    const cfg = DET(`CLASS_NAMES = ["Map", "Photograph", "Image"]\nAGNOSTIC_NMS = yes\nCATEGORIES = ["MAP", "image"]\n`);
    const { dir, config } = setup("det2", cfg, { "yolo.onnx": yoloModel({ size: 64, head: HEAD, names: NAMES }) });
    const r = await runCli(["process", "--config", config, "--input-image-path", "images", "--output-alto-path", "alto"], { cwd: dir });
    expect(r.code).toBe(0);
    // a0 is now a Map; a2 (a Photograph under CLASS_NAMES) overlaps a0 and goes with agnostic NMS
    expect(blocks(readFileSync(join(dir, "alto", "p1.xml"), "utf8")).map((b) => [b.type, b.hpos, b.vpos, b.width, b.height])).toEqual([
      ["Map", 64, 32, 128, 64],
      ["Image", 208, 96, 48, 32],
    ]);
  }, 120_000);

  test("a .pt MODEL_PATH keeps the built-in detector, with a warning", async () => {
    const { dir, config } = setup("pt", "[DET]\nMETHOD = YOLO_DETECTION\nMODEL_PATH = det.pt\n", { "det.pt": new Uint8Array([1, 2, 3]) });
    const r = await runCli(["process", "--config", config, "--input-image-path", "images", "--output-alto-path", "alto"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("is not an ONNX export (.onnx)");
    expect(r.stderr).toContain("the built-in weight-free detector is used instead");
    expect(readFileSync(join(dir, "alto", "p1.xml"), "utf8")).not.toContain(">yolo<");
  }, 120_000);
});

describe("image embeddings from an ONNX image encoder", () => {
  const cfg =
    DET() +
    '\n[EMB]\nMETHOD = HUGGINGFACE_IMAGE_EMBEDDING\nMODEL = engine/mean.onnx\nCATEGORIES = ["photograph"]\n' +
    '\n[EMB_RGB]\nMETHOD = HUGGINGFACE_IMAGE_EMBEDDING\nMODEL_PATH = mean.onnx\nTRUE_RGB = yes\nIMAGE_STD = [1, 2, 4]\nDECIMAL_PLACES = 3\nCATEGORIES = ["photograph"]\n';
  const head = HEAD.map((row) => row.slice(0, 1)); // the photograph only: (64,32)-(192,96), left half yellow, right half red

  test("one vector per element crop (its mean colour; red and blue swapped unless TRUE_RGB), records of §4.3 joined to the ALTO by the MODS uuid; JSON and JSON lines", async () => {
    const { dir, config } = setup("emb", cfg, { "yolo.onnx": yoloModel({ size: 64, head, names: NAMES }), "mean.onnx": meanColourModel() });
    const r = await runCli(
      [
        "process",
        "--config",
        config,
        "--input-image-path",
        "images",
        "--output-alto-path",
        "alto",
        "--output-embeddings-path",
        "emb",
        "--output-processing-info-path",
        "info.json",
      ],
      { cwd: dir },
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const records = JSON.parse(readFileSync(join(dir, "emb", "p1.json"), "utf8"));
    const alto = readFileSync(join(dir, "alto", "p1.xml"), "utf8");
    const uuid = /<mods:identifier type="uuid">([^<]+)</.exec(alto)![1]; // "uuid:<MODS uuid>"
    expect(records.map((x: any) => Object.keys(x))).toEqual(
      [0, 1].map(() => ["id", "tag_id", "page_uuid", "category", "source", "processing_info", "embedding"]),
    );
    expect(records.map((x: any) => [x.id, x.tag_id, x.page_uuid, x.category, x.source])).toEqual(
      [0, 1].map(() => [uuid, "photograph_001", "p1", "photograph", null]),
    );
    // the crop: R 1 everywhere, G 1 on the left half, B 0 → mean (R, G, B) = (1, 0.5, 0)
    expect(records[0].embedding).toEqual([0, 0.5, 1]); // the model sees (B, G, R), as the reference's
    expect(records[1].embedding).toEqual([1, 0.25, 0]); // true RGB, G divided by IMAGE_STD 2
    const info = records.map((x: any) => ({ ...x.processing_info, datetime: undefined }));
    expect(info[0]).toMatchObject({ system: "AnnoPage", model: "engine/mean.onnx", decimal_places: null, precision: "float32" });
    expect(info[1]).toMatchObject({ model: "mean.onnx", decimal_places: 3, precision: "float32" });
    expect(records[0].processing_info.datetime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
    expect(JSON.parse(readFileSync(join(dir, "info.json"), "utf8")).notices ?? []).toEqual([]);

    const jl = await runCli(
      ["process", "--config", config, "--input-image-path", "images", "--output-embeddings-path", "embl", "--embeddings-jsonlines"],
      { cwd: dir },
    );
    expect(jl.code).toBe(0);
    const text = readFileSync(join(dir, "embl", "p1.jsonl"), "utf8");
    expect(text.endsWith("\n")).toBe(true);
    expect(
      text
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l).embedding),
    ).toEqual([
      [0, 0.5, 1],
      [1, 0.25, 0],
    ]);
  }, 120_000);

  test("a fixed-size encoder gets the crop resized to its input; a Hugging Face MODEL still only warns", async () => {
    const fixed =
      DET() +
      "\n[EMB]\nMETHOD = HUGGINGFACE_IMAGE_EMBEDDING\nMODEL_PATH = mean8.onnx\nTRUE_RGB = yes\n\n[HF]\nMETHOD = HUGGINGFACE_IMAGE_EMBEDDING\nMODEL = openai/clip-vit-large-patch14\n";
    const { dir, config } = setup("emb8", fixed, {
      "yolo.onnx": yoloModel({ size: 64, head: HEAD.map((row) => row.slice(4, 5)), names: NAMES }),
      "mean8.onnx": meanColourModel(8),
    });
    const r = await runCli(["process", "--config", config, "--input-image-path", "images", "--output-embeddings-path", "emb"], {
      cwd: dir,
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      "[HF] HUGGINGFACE_IMAGE_EMBEDDING needs the image model 'openai/clip-vit-large-patch14', which this processor cannot run",
    );
    const records = JSON.parse(readFileSync(join(dir, "emb", "p1.json"), "utf8"));
    // the image element (208,96)-(256,128) is all white: any resize keeps it white
    expect(records.map((x: any) => [x.tag_id, x.embedding])).toEqual([["image_001", [1, 1, 1]]]);
  }, 120_000);
});

describe("a missing or malformed model fails the run at start-up with one line", () => {
  const cases: [string, string, Record<string, Uint8Array>, RegExp][] = [
    [
      "garbage bytes",
      DET(),
      { "yolo.onnx": new TextEncoder().encode("not a model at all") },
      /^annopage: process: \[DET\] MODEL_PATH '.*yolo\.onnx': not an ONNX model file \(/,
    ],
    ["no class names", DET(), { "yolo.onnx": yoloModel({ size: 64, head: HEAD }) }, /\[DET\] MODEL_PATH '.*yolo\.onnx': no class names/],
    [
      "names that do not fit the output",
      DET(),
      { "yolo.onnx": yoloModel({ size: 64, head: HEAD, names: "{0: 'Map'}" }) },
      /the output has 3 class scores but 1 class names are known/,
    ],
    [
      "a truncated encoder file",
      `${DET()}[EMB]\nMETHOD = HUGGINGFACE_IMAGE_EMBEDDING\nMODEL_PATH = enc.onnx\n`,
      { "yolo.onnx": yoloModel({ size: 64, head: HEAD, names: NAMES }), "enc.onnx": meanColourModel().slice(0, 40) },
      /^annopage: process: \[EMB\] image encoder '.*enc\.onnx': not (an ONNX model file|a usable ONNX model) \(/,
    ],
    [
      "an image input that is not N×3×H×W float32",
      `${DET()}[EMB]\nMETHOD = HUGGINGFACE_IMAGE_EMBEDDING\nMODEL_PATH = flat.onnx\n`,
      {
        "yolo.onnx": yoloModel({ size: 64, head: HEAD, names: NAMES }),
        "flat.onnx": onnxModel({ input: ["x", [1, 3]], output: ["y", [1, 3]], nodes: [{ op: "Identity", inputs: ["x"], outputs: ["y"] }] }),
      },
      /\[EMB\] image encoder '.*flat\.onnx': the model input 'x' must be a float32 N×3×H×W image, not float32 \[1, 3\]/,
    ],
    [
      "a missing embedding model file",
      `${DET()}[EMB]\nMETHOD = HUGGINGFACE_IMAGE_EMBEDDING\nMODEL_PATH = gone.onnx\n`,
      { "yolo.onnx": yoloModel({ size: 64, head: HEAD, names: NAMES }) },
      /\[EMB\] MODEL_PATH file not found: '.*gone\.onnx'/,
    ],
  ];
  for (const [name, cfg, models, message] of cases) {
    test(name, async () => {
      const { dir, config } = setup("bad", cfg, models);
      const r = await runCli(["process", "--config", config, "--input-image-path", "images", "--output-alto-path", "alto"], { cwd: dir });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      const lines = r.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(message);
    }, 120_000);
  }
});

describe("pieces", () => {
  test("class names from Ultralytics' names metadata", () => {
    expect(parseClassNames("{0: 'Image', 1: \"Children's book\", 2: 'Symbol, logo, coat of arms'}")).toEqual([
      "Image",
      "Children's book",
      "Symbol, logo, coat of arms",
    ]);
    expect(parseClassNames("{0: 'Image', 2: 'Map'}")).toBeNull();
    expect(parseClassNames("")).toBeNull();
  });

  test("NMS keeps the best box of each overlapping group, per class unless agnostic, at most maxDetections", () => {
    const b = (x: number, score: number, cls: number) => ({ x1: x, y1: 0, x2: x + 10, y2: 10, score, cls });
    const boxes = [b(0, 0.5, 0), b(1, 0.9, 0), b(1, 0.7, 1), b(50, 0.6, 0)];
    const opts = { iou: 0.7, agnostic: false, maxCandidates: 100, maxDetections: 300 };
    expect(nms(boxes, opts).map((x) => x.score)).toEqual([0.9, 0.7, 0.6]);
    expect(nms(boxes, { ...opts, agnostic: true }).map((x) => x.score)).toEqual([0.9, 0.6]);
    expect(nms(boxes, { ...opts, maxDetections: 2 }).map((x) => x.score)).toEqual([0.9, 0.7]);
  });
});
