/**
 * ONNX models as engine files, all real: the engine's ZIP (config.ini + .onnx files) uploaded to the
 * API server (PostgreSQL), the worker loop in this process downloading it into its engine cache and
 * running this program's own `annopage process` on it, `annopage submit` as a child process. The
 * models are the tiny graphs of tests/helpers/onnx-graph.ts: the result ZIP must hold their
 * exact boxes and vectors.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { strToU8, unzipSync, zipSync } from "fflate";
import { startWorker } from "../../src/worker/loop.ts";
import type { Logger } from "../../src/worker/job-runner.ts";
import { defaultProcessor } from "../../src/worker/options.ts";
import { runCli } from "../helpers/cli.ts";
import { setupKeys, type Keys } from "../helpers/keys.ts";
import { ApiClient } from "../../src/client/api.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { testWorkerOptions } from "../helpers/worker-options.ts";
import { meanColourModel, yoloModel } from "../helpers/onnx-graph.ts";
import { blocks, HEAD, NAMES, page } from "../helpers/onnx-fixture.ts";

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
let server: TestServer;
let keys: Keys;
let tmp: string;

const CONFIG = `[DET]
METHOD = YOLO_DETECTION
MODEL_PATH = models/yolo.onnx

[EMB]
METHOD = HUGGINGFACE_IMAGE_EMBEDDING
MODEL = mean.onnx
CATEGORIES = ["photograph"]
`;

beforeAll(async () => {
  server = await startTestServer();
  keys = await setupKeys(server.url, server.adminKey, "onnx");
  tmp = mkdtempSync(join(tmpdir(), "annopage-worker-onnx-"));
  const zip = join(tmp, "engine.zip");
  writeFileSync(
    zip,
    zipSync({
      "config.ini": strToU8(CONFIG),
      "models/yolo.onnx": yoloModel({ size: 64, head: HEAD, names: NAMES }),
      "mean.onnx": meanColourModel(),
    }),
  );
  await keys.admin.createEngine({ name: "onnx", version: "1", description: "ONNX detector + image encoder", definition: {} });
  await keys.admin.uploadEngineFiles("onnx", "1", zip);
});

afterAll(async () => {
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

test("an engine's ONNX detector and image encoder run in the worker: exact boxes in the ALTO, exact vectors in the embeddings of the result ZIP", async () => {
  const images = join(tmp, "images");
  mkdirSync(images);
  writeFileSync(join(images, "p1.png"), page());
  const worker = startWorker(
    testWorkerOptions({ apiUrl: server.url, apiKey: keys.worker, dir: join(tmp, "run"), processor: defaultProcessor() }),
    quiet,
  );
  const out = join(tmp, "result.zip");
  const r = await runCli(
    [
      "submit",
      "--engine-name",
      "onnx",
      "--images",
      images,
      "--output-alto",
      "--output-embeddings",
      "--output-crops",
      "--output",
      out,
      "--json",
      "--polling-interval",
      "0.1",
    ],
    {
      env: {
        ANNOPAGE_API_URL: server.url,
        ANNOPAGE_API_KEY: keys.user,
      },
    },
  );
  if (r.code !== 0) worker.stop(true);
  await worker.done;
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ state: "done" });
  const entries = unzipSync(readFileSync(out));
  expect(
    Object.keys(entries)
      .filter((n) => !n.endsWith("/"))
      .sort(),
  ).toEqual(["alto/p1.xml", "crops/p1_image_001.jpg", "crops/p1_map_001.jpg", "crops/p1_photograph_001.jpg", "embeddings/p1.json"]);
  const alto = new TextDecoder().decode(entries["alto/p1.xml"]);
  expect(blocks(alto).map((b) => [b.type, b.hpos, b.vpos, b.width, b.height])).toEqual([
    ["Photograph", 64, 32, 128, 64],
    ["Map", 68, 32, 128, 64],
    ["Image", 208, 96, 48, 32],
  ]);
  const records = JSON.parse(new TextDecoder().decode(entries["embeddings/p1.json"]));
  // mean colour (R 1, G 0.5, B 0) as the model sees it: red and blue swapped, like the reference
  expect(records.map((x: any) => [x.tag_id, x.category, x.processing_info.model, x.embedding])).toEqual([
    ["photograph_001", "photograph", "mean.onnx", [0, 0.5, 1]],
  ]);
}, 120_000);

test("a malformed model in the engine files fails the job (state error) with the processor's one-line reason", async () => {
  const zip = join(tmp, "bad.zip");
  writeFileSync(
    zip,
    zipSync({ "config.ini": strToU8("[DET]\nMETHOD = YOLO_DETECTION\nMODEL_PATH = yolo.onnx\n"), "yolo.onnx": strToU8("not a model") }),
  );
  await keys.admin.createEngine({ name: "bad-onnx", version: "1", description: "broken model", definition: {} });
  await keys.admin.uploadEngineFiles("bad-onnx", "1", zip);
  const images = join(tmp, "images-bad");
  mkdirSync(images);
  writeFileSync(join(images, "p1.png"), page());
  const user = new ApiClient({ apiUrl: server.url, apiKey: keys.user });
  const created = await user.createJob({
    images: [{ name: "p1.png", order: 0 }],
    engine_name: "bad-onnx",
    engine_settings: { outputs: { alto: true } },
  });
  await user.uploadImage(created.id, "p1.png", join(images, "p1.png"));
  const worker = startWorker(
    testWorkerOptions({ apiUrl: server.url, apiKey: keys.worker, dir: join(tmp, "run-bad"), processor: defaultProcessor() }),
    quiet,
  );
  await worker.done;
  const job = await user.getJob(created.id);
  // `error`: retried by the next lease until its attempts run out (docs/protocol.md); the reason is the processor's line
  expect(job.state).toBe("error");
  expect(job.log_user).toMatch(
    /AnnoPage processing failed with return code 1: annopage: process: \[DET\] MODEL_PATH '[^']*\/yolo\.onnx': not an ONNX model file \(/,
  );
}, 120_000);
