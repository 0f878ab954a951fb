/**
 * Files over real HTTP (docs/protocol.md §4.7, §4.14, §4.15, §6): streamed multipart uploads, images kept
 * byte for byte and checked by a real decoder, XML checks, ZIP checks, downloads with exact
 * headers, 410s for files deleted on disk, the size limit, and an upload cut off half-way.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, mkdtempSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadServerConfig } from "../../src/config.ts";
import { LocalStorage } from "../../src/storage/local.ts";
import { checkAlto, checkPage } from "../../src/server/files/xml-check.ts";
import { contentDisposition, stem } from "../../src/server/http/file-response.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { ALTO, PAGE, SUITE_VALID_ZIP, bmpBytes, gifBytes, jpegBytes, pngBytes, zipBytes } from "../helpers/files.ts";
import { client } from "../helpers/http.ts";
import { makeKey } from "../helpers/keys.ts";

let s: TestServer;
let u: ReturnType<typeof client>;
let w: ReturnType<typeof client>;
let admin: ReturnType<typeof client>;
/** The keys behind `u` and `w`, for raw requests. */
const keys = { user: "", worker: "" };

beforeAll(async () => {
  s = await startTestServer({ env: { MAX_UPLOAD_BYTES: "200000" } });
  keys.user = (await makeKey(s, "user")).key;
  keys.worker = (await makeKey(s, "worker")).key;
  u = client(s, keys.user);
  w = client(s, keys.worker);
  admin = client(s, s.adminKey);
});
afterAll(async () => {
  await s.close();
});

async function newJob(images: string[], extra: Record<string, unknown> = {}) {
  const r = await u("POST", "/v1/jobs", { json: { images: images.map((name, order) => ({ name, order })), ...extra } });
  expect(r.status).toBe(201);
  return r.body.data.id as string;
}

/** Leases exactly `id` (drains anything else first). */
async function leaseJob(id: string) {
  for (;;) {
    const l = await w("POST", "/v1/jobs/lease");
    expect(l.body.code).toBe("JOB_LEASED");
    if (l.body.data.id === id) return (await w("GET", `/v1/jobs/${id}`)).body.data;
    await admin("PATCH", `/v1/admin/jobs/${l.body.data.id}`, { json: { state: "done" } });
  }
}

function stagingFiles(): string[] {
  const out: string[] = [];
  for (const d of [s.config.jobsDir, s.config.resultsDir, s.config.artifactsDir]) {
    const st = join(d, ".staging");
    if (existsSync(st)) out.push(...readdirSync(st));
  }
  return out;
}

describe("images", () => {
  test("stored byte for byte with the detected extension; original bytes, type and name on download", async () => {
    const names = ["x y ü.png", "photo.jpg"];
    const id = await newJob(names);
    const png = pngBytes(20, 10);
    const jpg = jpegBytes();
    expect(
      (await u("PUT", `/v1/jobs/${id}/images/${encodeURIComponent(names[0]!)}/files/image`, { file: png, fileName: "whatever.bin" })).body
        .code,
    ).toBe("IMAGE_UPLOADED");
    expect((await u("PUT", `/v1/jobs/${id}/images/photo.jpg/files/image`, { file: jpg })).body.code).toBe("IMAGE_UPLOADED");
    const job = await leaseJob(id);
    const [i0, i1] = job.images;
    expect(readFileSync(join(s.config.jobsDir, id, `${i0.id}.png`))).toEqual(Buffer.from(png));
    expect(readFileSync(join(s.config.jobsDir, id, `${i1.id}.jpg`))).toEqual(Buffer.from(jpg));
    const rows = await s.deps.sql`SELECT imagehash, image_format, image_width, image_height FROM images WHERE id = ${i0.id}`;
    expect(rows[0]).toEqual({
      imagehash: createHash("md5").update(png).digest("hex"),
      image_format: "png",
      image_width: 20,
      image_height: 10,
    });

    const d0 = await fetch(`${s.url}/v1/jobs/${id}/images/${i0.id}/files/image`, { headers: { "x-api-key": (await makeKeyFor()).key } });
    expect(d0.status).toBe(403); // another worker
    const r0 = await rawGet(`/v1/jobs/${id}/images/${i0.id}/files/image`);
    expect(r0.status).toBe(200);
    expect(r0.headers.get("content-type")).toBe("image/png");
    expect(r0.headers.get("content-disposition")).toBe("attachment; filename*=utf-8''x%20y%20%C3%BC.png");
    expect(r0.headers.get("content-length")).toBe(String(png.length));
    expect(new Uint8Array(await r0.arrayBuffer())).toEqual(new Uint8Array(png));
    const r1 = await rawGet(`/v1/jobs/${id}/images/${i1.id}/files/image`);
    expect(r1.headers.get("content-type")).toBe("image/jpeg");
    expect(r1.headers.get("content-disposition")).toBe('attachment; filename="photo.jpg"');

    // Deleted on disk → 410; unknown image → 404.
    rmSync(join(s.config.jobsDir, id, `${i1.id}.jpg`));
    expect((await w("GET", `/v1/jobs/${id}/images/${i1.id}/files/image`)).body.code).toBe("IMAGE_GONE");
    expect((await w("GET", `/v1/jobs/${id}/images/${crypto.randomUUID()}/files/image`)).body.code).toBe("IMAGE_NOT_FOUND_FOR_JOB");
  });

  test("BMP and GIF (what the reference client uploads, §6.2) are accepted, stored byte for byte and served with their type; cut off → 415", async () => {
    const id = await newJob(["scan.bmp", "icon.gif"]);
    const bmp = bmpBytes(9, 7);
    const gif = gifBytes(20, 10);
    for (const [name, bytes] of [
      ["scan.bmp", bmp],
      ["icon.gif", gif],
    ] as const) {
      const cut = await u("PUT", `/v1/jobs/${id}/images/${name}/files/image`, { file: bytes.subarray(0, bytes.length - 3) });
      expect([cut.status, cut.body.code, cut.body.details.reason]).toEqual([415, "IMAGE_INVALID", expect.stringContaining("truncated")]);
      expect((await u("PUT", `/v1/jobs/${id}/images/${name}/files/image`, { file: bytes })).body.code).toBe("IMAGE_UPLOADED");
    }
    const job = await leaseJob(id);
    const rows = await s.deps.sql`SELECT name, image_format, image_width, image_height FROM images WHERE job_id = ${id} ORDER BY "order"`;
    expect(rows.map((r) => ({ ...r }))).toEqual([
      { name: "scan.bmp", image_format: "bmp", image_width: 9, image_height: 7 },
      { name: "icon.gif", image_format: "gif", image_width: 20, image_height: 10 },
    ]);
    for (const [i, ext, type, bytes] of [
      [0, "bmp", "image/bmp", bmp],
      [1, "gif", "image/gif", gif],
    ] as const) {
      const image = job.images[i];
      expect(readFileSync(join(s.config.jobsDir, id, `${image.id}.${ext}`))).toEqual(Buffer.from(bytes));
      const r = await rawGet(`/v1/jobs/${id}/images/${image.id}/files/image`);
      expect([r.status, r.headers.get("content-type")]).toEqual([200, type]);
      expect(new Uint8Array(await r.arrayBuffer())).toEqual(new Uint8Array(bytes));
    }
  });

  test("undecodable, empty and truncated images → 415; unknown name → 404; %2F never matches", async () => {
    const id = await newJob(["a.png"]);
    for (const bad of [new TextEncoder().encode("this is not an image"), new Uint8Array(0), pngBytes(64, 64).slice(0, 60)]) {
      const r = await u("PUT", `/v1/jobs/${id}/images/a.png/files/image`, { file: bad });
      expect([r.status, r.body.code]).toEqual([415, "IMAGE_INVALID"]);
    }
    expect((await u("PUT", `/v1/jobs/${id}/images/nope.png/files/image`, { file: pngBytes() })).body.code).toBe("IMAGE_NOT_FOUND_FOR_JOB");
    expect((await u("PUT", `/v1/jobs/${id}/images/a%2Fb.png/files/image`, { file: pngBytes() })).status).toBe(404);
    expect(readdirSync(s.config.jobsDir).includes(id)).toBe(false); // nothing stored for the rejected uploads
    expect(stagingFiles()).toEqual([]);
  });

  test("multipart errors: no file part, not multipart, missing boundary, a text field named file", async () => {
    const id = await newJob(["a.png"]);
    const path = `/v1/jobs/${id}/images/a.png/files/image`;
    const fd = new FormData();
    fd.append("other", new Blob([pngBytes() as BlobPart]), "a.png");
    let r = await u("PUT", path, { raw: fd });
    expect(r.status).toBe(422);
    expect(r.body.details[0]).toMatchObject({ type: "missing", loc: ["body", "file"] });
    r = await u("PUT", path, { raw: "abc", headers: { "content-type": "text/plain" } });
    expect(r.body.details[0].loc).toEqual(["body", "file"]);
    r = await u("PUT", path, { raw: "abc", headers: { "content-type": "multipart/form-data" } });
    expect(r.body).toEqual({ status: 400, code: "HTTP_ERROR", detail: "Missing boundary in multipart." });
    const text = new FormData();
    text.append("file", "just text");
    r = await u("PUT", path, { raw: text });
    expect(r.status).toBe(422);
    // A readonly key is refused before the body is looked at.
    const ro = client(s, (await makeKey(s, "readonly")).key);
    expect((await ro("PUT", path)).body.code).toBe("API_KEY_ROLE_FORBIDDEN");
  });

  test("size limit → 413 FILE_TOO_LARGE and nothing left behind", async () => {
    const id = await newJob(["big.png"]);
    const r = await u("PUT", `/v1/jobs/${id}/images/big.png/files/image`, { file: new Uint8Array(300_000) });
    expect([r.status, r.body.code]).toEqual([413, "FILE_TOO_LARGE"]);
    expect(stagingFiles()).toEqual([]);
    expect(existsSync(join(s.config.jobsDir, id))).toBe(false);
  });

  test("an upload cut off half-way leaves no file; the retried upload succeeds", async () => {
    const id = await newJob(["cut.png"]);
    const png = pngBytes(200, 200);
    const boundary = "----cutboundary";
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.png"\r\nContent-Type: image/png\r\n\r\n`;
    const tail = `\r\n--${boundary}--\r\n`;
    const total = Buffer.byteLength(head) + png.length + Buffer.byteLength(tail);
    const url = new URL(s.url);
    await new Promise<void>((resolve, reject) => {
      const sock = connect(Number(url.port), url.hostname, () => {
        sock.write(
          `PUT /v1/jobs/${id}/images/cut.png/files/image HTTP/1.1\r\nHost: ${url.host}\r\nX-API-Key: ${keys.user}\r\n` +
            `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${total}\r\n\r\n`,
        );
        sock.write(head);
        sock.write(png.subarray(0, Math.floor(png.length / 2)), () => {
          setTimeout(() => {
            sock.destroy();
            resolve();
          }, 100);
        });
      });
      sock.on("error", reject);
    });
    // The server notices the cut and deletes the staged part.
    for (let i = 0; i < 50 && stagingFiles().length > 0; i++) await Bun.sleep(50);
    expect(stagingFiles()).toEqual([]);
    expect(existsSync(join(s.config.jobsDir, id))).toBe(false);
    expect((await u("GET", `/v1/jobs/${id}`)).body.data.images[0].image_uploaded).toBe(false);
    const retry = await u("PUT", `/v1/jobs/${id}/images/cut.png/files/image`, { file: png });
    expect([retry.status, retry.body.code]).toEqual([201, "IMAGE_UPLOADED"]);
    expect((await u("GET", `/v1/jobs/${id}`)).body.data.state).toBe("queued");
  });
});

async function makeKeyFor() {
  return makeKey(s, "worker");
}
async function rawGet(path: string) {
  return fetch(`${s.url}${path}`, { headers: { "x-api-key": keys.worker } });
}

describe("ALTO, PAGE and metadata", () => {
  test("ALTO: not required (before image lookup), 404, parse errors, schema check, upload, download", async () => {
    const plain = await newJob(["a.png"]);
    expect((await u("PUT", `/v1/jobs/${plain}/images/zzz.png/files/alto`, { file: ALTO })).body.code).toBe("ALTO_NOT_REQUIRED");
    const id = await newJob(["img1.png"], { alto_required: true });
    const p = `/v1/jobs/${id}/images/img1.png/files/alto`;
    expect((await u("PUT", `/v1/jobs/${id}/images/zzz.png/files/alto`, { file: ALTO })).body.code).toBe("IMAGE_NOT_FOUND_FOR_JOB");
    for (const bad of [
      "<this is not valid xml>",
      "",
      '<?xml version="1.0"?><!DOCTYPE alto [<!ENTITY x SYSTEM "file:///etc/passwd">]><alto>&x;</alto>',
      '<!DOCTYPE alto [<!ENTITY a "b">]><alto/>',
    ]) {
      const r = await u("PUT", p, { file: bad });
      expect([r.status, r.body.code]).toEqual([400, "XML_PARSE_ERROR"]);
    }
    const unknown = await u("PUT", p, { file: '<?xml version="1.0" encoding="x-nonesuch"?><alto/>' });
    expect([unknown.status, unknown.body.code, unknown.body.details?.reason]).toEqual([
      400,
      "XML_PARSE_ERROR",
      "unsupported XML encoding 'x-nonesuch'",
    ]);
    // Well-formed XML in another declared encoding parses (as with Python's ElementTree); stored byte for byte.
    const utf16 = new Uint8Array([
      0xff,
      0xfe,
      ...Buffer.from(`<?xml version="1.0" encoding="UTF-16"?>${ALTO.replace(/^<\?xml[^>]*\?>/, "")}`, "utf16le"),
    ]);
    expect((await u("PUT", p, { file: utf16 })).body.code).toBe("ALTO_UPLOADED");
    expect(
      readFileSync(join(s.config.jobsDir, id, readdirSync(join(s.config.jobsDir, id)).find((f) => f.endsWith(".alto.xml"))!)).equals(utf16),
    ).toBe(true);
    const halto = await u("PUT", p, { file: "<halto/>" });
    expect([halto.status, halto.body.code]).toEqual([422, "ALTO_SCHEMA_INVALID"]);
    expect((await u("PUT", p, { file: "<!DOCTYPE alto><alto/>" })).body.code).toBe("ALTO_REUPLOADED");
    expect((await u("PUT", p, { file: ALTO })).body.code).toBe("ALTO_REUPLOADED");
    await u("PUT", `/v1/jobs/${id}/images/img1.png/files/image`, { file: pngBytes() });
    const job = await leaseJob(id);
    const r = await rawGet(`/v1/jobs/${id}/images/${job.images[0].id}/files/alto`);
    expect(r.headers.get("content-type")).toBe("application/xml");
    expect(r.headers.get("content-disposition")).toBe('attachment; filename="img1.xml"');
    expect(await r.text()).toBe(ALTO);
    expect(readFileSync(join(s.config.jobsDir, id, `${job.images[0].id}.alto.xml`), "utf8")).toBe(ALTO);
    expect((await w("GET", `/v1/jobs/${id}/images/${job.images[0].id}/files/page`)).body.code).toBe("PAGE_NOT_REQUIRED");
    rmSync(join(s.config.jobsDir, id, `${job.images[0].id}.alto.xml`));
    expect((await w("GET", `/v1/jobs/${id}/images/${job.images[0].id}/files/alto`)).body.code).toBe("ALTO_GONE");
  });

  test("PAGE: schema check, first upload queues the job, download as {stem}.xml", async () => {
    const id = await newJob(["a.b.tif"], { page_required: true });
    await u("PUT", `/v1/jobs/${id}/images/a.b.tif/files/image`, { file: pngBytes() });
    expect((await u("GET", `/v1/jobs/${id}`)).body.data.state).toBe("new");
    const bad = await u("PUT", `/v1/jobs/${id}/images/a.b.tif/files/page`, { file: "<hpage/>" });
    expect([bad.status, bad.body.code]).toEqual([422, "PAGE_SCHEMA_INVALID"]);
    expect((await u("PUT", `/v1/jobs/${id}/images/a.b.tif/files/page`, { file: PAGE })).body.code).toBe("PAGE_UPLOADED");
    expect((await u("GET", `/v1/jobs/${id}`)).body.data.state).toBe("queued");
    const job = await leaseJob(id);
    const r = await rawGet(`/v1/jobs/${id}/images/${job.images[0].id}/files/page`);
    expect(r.headers.get("content-disposition")).toBe('attachment; filename="a.b.xml"');
    expect(await r.text()).toBe(PAGE);
  });

  test("metadata: 409 when not required, JSON rules, 4-space file, 201 then 200, download, 410", async () => {
    const plain = await newJob([]);
    expect((await u("PUT", `/v1/jobs/${plain}/files/metadata`, { json: { a: 1 } })).body.code).toBe("META_JSON_NOT_REQUIRED");
    const id = await newJob([], { meta_json_required: true });
    const p = `/v1/jobs/${id}/files/metadata`;
    const notJson = await u("PUT", p, { raw: "this is not json" });
    expect(notJson.status).toBe(422);
    expect(Array.isArray(notJson.body.details)).toBe(true);
    expect((await u("PUT", p, { json: null })).body.details[0]).toMatchObject({ type: "missing", loc: ["body"] });
    const meta = { title: "Kniha ü", pages: [1, 2], nested: { ok: true } };
    expect((await u("PUT", p, { json: meta })).body.code).toBe("META_JSON_UPLOADED");
    expect((await u("GET", `/v1/jobs/${id}`)).body.data).toMatchObject({ state: "queued", meta_json_uploaded: true });
    const stored = readFileSync(join(s.config.jobsDir, id, "meta.json"), "utf8");
    expect(stored).toBe(JSON.stringify(meta, null, 4));
    expect(stored).toContain('"title": "Kniha ü"');
    // Member order and floats as Python's json.loads/json.dump(indent=4) keep them (JavaScript's would not).
    expect((await admin("PUT", p, { raw: '{"b":1,"2":2.0,"1":3,"c":1e3,"big":123456789012345678901234567890}' })).body.code).toBe(
      "META_JSON_REUPLOADED",
    );
    expect(readFileSync(join(s.config.jobsDir, id, "meta.json"), "utf8")).toBe(
      '{\n    "b": 1,\n    "2": 2.0,\n    "1": 3,\n    "c": 1000.0,\n    "big": 123456789012345678901234567890\n}',
    );
    expect((await admin("PUT", p, { raw: "plain text", headers: { "content-type": "text/plain" } })).body.code).toBe(
      "META_JSON_REUPLOADED",
    );
    expect(readFileSync(join(s.config.jobsDir, id, "meta.json"), "utf8")).toBe('"plain text"');
    expect((await admin("PUT", p, { json: ["x"] })).body.code).toBe("META_JSON_REUPLOADED");
    await leaseJob(id);
    const r = await rawGet(`/v1/jobs/${id}/files/metadata`);
    expect(r.headers.get("content-type")).toBe("application/json");
    expect(r.headers.get("content-disposition")).toBe('attachment; filename="meta.json"');
    expect(JSON.parse(await r.text())).toEqual(["x"]);
    rmSync(join(s.config.jobsDir, id, "meta.json"));
    expect((await w("GET", `/v1/jobs/${id}/files/metadata`)).body.code).toBe("META_JSON_GONE");
  });
});

describe("result and artifacts ZIPs", () => {
  test("invalid ZIP → 415 with reason; the suite's minimal ZIP is accepted and returned byte for byte; 410 when deleted", async () => {
    const id = await newJob(["z.png"]);
    await u("PUT", `/v1/jobs/${id}/images/z.png/files/image`, { file: pngBytes() });
    await leaseJob(id);
    const bad = await w("POST", `/v1/jobs/${id}/result`, { file: "not a zip" });
    expect(bad.body).toEqual({
      status: 415,
      code: "JOB_RESULT_INVALID",
      detail: "The uploaded file is not a valid ZIP archive.",
      details: { reason: "File is not a zip file" },
    });
    expect((await w("POST", `/v1/jobs/${id}/artifacts`, { file: new Uint8Array(0) })).body.code).toBe("JOB_ARTIFACTS_INVALID");
    expect(existsSync(join(s.config.resultsDir, `${id}.zip`))).toBe(false);
    expect(stagingFiles()).toEqual([]);
    expect((await w("POST", `/v1/jobs/${id}/result`, { file: SUITE_VALID_ZIP })).body.code).toBe("JOB_RESULT_UPLOADED");
    expect((await w("PATCH", `/v1/jobs/${id}`, { json: { state: "done" } })).body.code).toBe("JOB_COMPLETED");
    const r = await fetch(`${s.url}/v1/jobs/${id}/result`, { headers: { "x-api-key": keys.user } });
    expect(new Uint8Array(await r.arrayBuffer())).toEqual(SUITE_VALID_ZIP);
    // Uploads after done are refused for the worker (state guard).
    expect((await w("POST", `/v1/jobs/${id}/result`, { file: zipBytes() })).body).toMatchObject({
      code: "JOB_NOT_IN_PROCESSING",
      details: { state: "done" },
    });
    rmSync(join(s.config.resultsDir, `${id}.zip`));
    expect((await u("GET", `/v1/jobs/${id}/result`)).body.code).toBe("JOB_RESULT_GONE");
  });

  test("ZIP validation can be switched off", async () => {
    const t = await startTestServer({ env: { RESULT_ZIP_VALIDATION: "false" } });
    try {
      const tu = client(t, (await makeKey(t, "user")).key);
      const tw = client(t, (await makeKey(t, "worker")).key);
      const id = (await tu("POST", "/v1/jobs", { json: { images: [] } })).body.data.id;
      await client(t, t.adminKey)("PUT", `/debug/jobs/${id}/start`);
      await tw("POST", "/v1/jobs/lease");
      expect((await tw("POST", `/v1/jobs/${id}/result`, { file: "not a zip" })).body.code).toBe("JOB_RESULT_UPLOADED");
    } finally {
      await t.close();
    }
  });
});

describe("units", () => {
  test("ALTO/PAGE checks follow their toggles", () => {
    const cfg = loadServerConfig({ ALTO_VALIDATE_NAMESPACE: "true", ALTO_VALIDATE_HAS_TEXT: "true", PAGE_VALIDATE_HAS_TEXT: "true" });
    expect(checkAlto(ALTO, cfg.altoChecks).ok).toBe(true);
    expect(checkAlto("<alto/>", cfg.altoChecks)).toMatchObject({ ok: false, code: "SCHEMA_INVALID" });
    expect(checkAlto("<alto/>", loadServerConfig({}).altoChecks).ok).toBe(true);
    expect(checkAlto('<x:alto xmlns:x="http://www.loc.gov/standards/alto/ns-v2#"><x:String/></x:alto>', cfg.altoChecks).ok).toBe(true);
    expect(checkPage(PAGE, cfg.pageChecks).ok).toBe(true);
    expect(checkPage("<PcGts><Page/></PcGts>", cfg.pageChecks).ok).toBe(false);
    expect(checkPage("<PcGts/>", loadServerConfig({}).pageChecks).ok).toBe(true);
  });

  test("LocalStorage: staged writes become visible only on commit; existed flag; no path escapes", async () => {
    const root = mkdtempSync(join(tmpdir(), "storage-"));
    const st = new LocalStorage({
      jobs: join(root, "jobs"),
      results: join(root, "results"),
      artifacts: join(root, "a"),
      engines: join(root, "e"),
    });
    const wr = await st.stage("results");
    await wr.write(new TextEncoder().encode("hello "));
    await wr.write(new TextEncoder().encode("world"));
    const staged = await wr.finish();
    expect(staged.size).toBe(11);
    expect(staged.md5).toBe(createHash("md5").update("hello world").digest("hex"));
    expect(await st.exists("results", "x.zip")).toBe(false);
    expect(await st.commit(staged, "x.zip")).toEqual({ existed: false });
    expect(await st.put("results", "x.zip", new Uint8Array([1]))).toEqual({ existed: true });
    expect((await st.open("results", "x.zip"))!.size).toBe(1);
    expect(await st.open("results", "nope.zip")).toBeNull();
    const aborted = await st.stage("jobs");
    await aborted.write(new Uint8Array(10));
    await aborted.abort();
    expect(readdirSync(join(root, "jobs", ".staging"))).toEqual([]);
    for (const bad of ["../x", "a/../../x", ".staging/x", "/etc/passwd", ""]) expect(() => st.pathOf("jobs", bad)).toThrow();
    rmSync(root, { recursive: true, force: true });
  });

  test("Content-Disposition and stems", () => {
    expect(contentDisposition("a-b_c.~1.png")).toBe('attachment; filename="a-b_c.~1.png"');
    expect(contentDisposition("x y ü.png")).toBe("attachment; filename*=utf-8''x%20y%20%C3%BC.png");
    expect(contentDisposition('a"b')).toBe("attachment; filename*=utf-8''a%22b");
    expect(["img1.png", "a.b.tif", ".hidden", "noext"].map(stem)).toEqual(["img1", "a.b", ".hidden", "noext"]);
  });
});
