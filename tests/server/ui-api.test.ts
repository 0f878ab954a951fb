/**
 * The API behind the web dashboard (docs/decisions.md §11), over real HTTP on PostgreSQL: the job event stream
 * (GET /v1/jobs/events: who sees which job, keep-alive, ends when the client goes or the server stops), the result
 * as JSON for the page viewer (GET /v1/jobs/{id}/result/pages and the page image), /ui and its assets, and `/`
 * sending browsers to /ui while API clients keep the reference's redirect to /docs.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { zipSync, strToU8 } from "fflate";
import { readFileSync } from "node:fs";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import * as UTIF from "utif2";
import { probeImage } from "../../src/media/index.ts";
import { client } from "../helpers/http.ts";
import { jpegBytes, pngBytes } from "../helpers/files.ts";
import { makeKey } from "../helpers/keys.ts";
import { SHARED } from "../helpers/shared.ts";

const ALTO_FIXTURE = readFileSync(`${SHARED}/fixtures/annopage-alto/alto_image_with_basic_metadata_and_text_lines_tagrefs.xml`, "utf8");

let s: TestServer;
const keys = { alice: "", bob: "", reader: "", worker: "" };
let alice: ReturnType<typeof client>;
let w: ReturnType<typeof client>;
let admin: ReturnType<typeof client>;

beforeAll(async () => {
  s = await startTestServer();
  keys.alice = (await makeKey(s, "user", "alice")).key;
  keys.bob = (await makeKey(s, "user", "bob")).key;
  keys.reader = (await makeKey(s, "readonly", "reader")).key;
  keys.worker = (await makeKey(s, "worker", "w1")).key;
  alice = client(s, keys.alice);
  w = client(s, keys.worker);
  admin = client(s, s.adminKey);
});
afterAll(async () => {
  await s.close();
});

/** An open event stream: its frames as they arrive (comments included), `next(pred)` waits for a matching one. */
async function openEvents(key: string) {
  const controller = new AbortController();
  const res = await fetch(`${s.url}/v1/jobs/events`, { headers: { "X-API-Key": key }, signal: controller.signal });
  const frames: string[] = [];
  let ended = false;
  const waiters: (() => void)[] = [];
  const pump = (async () => {
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          frames.push(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          for (const wake of waiters.splice(0)) wake();
        }
      }
    } catch {
      // aborted
    }
    ended = true;
    for (const wake of waiters.splice(0)) wake();
  })();
  const jobs = () => frames.filter((f) => f.startsWith("event: job")).map((f) => JSON.parse(f.split("\ndata: ")[1]!));
  return {
    res,
    frames,
    jobs,
    get ended() {
      return ended;
    },
    async next(pred: (frames: string[]) => boolean, ms = 20_000) {
      const deadline = Date.now() + ms;
      while (!pred(frames)) {
        if (ended || Date.now() > deadline) throw new Error(`no such frame; got:\n${frames.join("\n--\n")}`);
        await new Promise<void>((r) => (waiters.push(r), setTimeout(r, 200)));
      }
    },
    close: async () => {
      controller.abort();
      await pump;
    },
  };
}

async function newJob(c: ReturnType<typeof client>, images = ["a.png"]) {
  const r = await c("POST", "/v1/jobs", { json: { images: images.map((name, order) => ({ name, order })) } });
  expect(r.status).toBe(201);
  return r.body.data.id as string;
}

describe("GET /v1/jobs/events", () => {
  test("each key sees the changes of the jobs GET /v1/jobs shows it: own jobs for users and readonly keys, all for admins", async () => {
    const streams = {
      alice: await openEvents(keys.alice),
      bob: await openEvents(keys.bob),
      reader: await openEvents(keys.reader),
      admin: await openEvents(s.adminKey),
    };
    try {
      for (const st of Object.values(streams)) {
        expect(st.res.status).toBe(200);
        expect(st.res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
        await st.next((f) => f.some((x) => x.includes("event: ready")));
      }
      const a = await newJob(alice);
      const b = await newJob(client(s, keys.bob));
      await streams.admin.next(() => [a, b].every((id) => streams.admin.jobs().some((j) => j.id === id)));
      await streams.alice.next(() => streams.alice.jobs().some((j) => j.id === a));
      await streams.bob.next(() => streams.bob.jobs().some((j) => j.id === b));
      // a change of an existing job: cancelled by its owner
      expect((await alice("PATCH", `/v1/jobs/${a}`, { json: { state: "cancelled" } })).body.code).toBe("JOB_CANCELLED");
      await streams.alice.next(() => streams.alice.jobs().some((j) => j.id === a && j.state === "cancelled"));
      await streams.admin.next(() => streams.admin.jobs().some((j) => j.id === a && j.state === "cancelled"));
      expect(streams.alice.jobs().map((j) => j.id)).not.toContain(b);
      expect(streams.bob.jobs().map((j) => j.id)).not.toContain(a);
      expect(streams.reader.jobs()).toEqual([]); // the readonly key owns no job
      // the items are those of a page of GET /v1/jobs in the user view (with the job's page count): no technical log
      // even for admins
      const listed = (await alice("GET", "/v1/jobs?limit=50")).body.data.find((j: { id: string }) => j.id === a);
      expect(listed.page_count).toBe(1);
      expect(streams.alice.jobs().findLast((j) => j.id === a)).toEqual(listed);
      expect(streams.admin.jobs().every((j) => !("log" in j))).toBe(true);
    } finally {
      for (const st of Object.values(streams)) await st.close();
    }
  }, 60_000);

  test("one change reaches a watcher once; a client that goes away is forgotten and the poll stops", async () => {
    const st = await openEvents(keys.alice);
    const id = await newJob(alice);
    await st.next(() => st.jobs().some((j) => j.id === id));
    await Bun.sleep(2500); // a few more polls of the same window
    expect(st.jobs().filter((j) => j.id === id)).toHaveLength(1);
    expect(s.deps.jobChanges.watching).toBe(1);
    await st.close();
    for (let i = 0; i < 50 && s.deps.jobChanges.watching > 0; i++) await Bun.sleep(100);
    expect(s.deps.jobChanges.watching).toBe(0);
  }, 60_000);

  test("a stream ends when its key is disabled", async () => {
    const { key, label } = await makeKey(s, "user");
    const st = await openEvents(key);
    await st.next((f) => f.some((x) => x.includes("event: ready")));
    expect((await admin("PATCH", `/v1/admin/keys/${label}`, { json: { active: false } })).body.code).toBe("KEY_UPDATED");
    for (let i = 0; i < 150 && !st.ended; i++) await Bun.sleep(100);
    expect(st.ended).toBe(true);
    await st.close();
  }, 60_000);

  test("worker keys and requests without a key are refused like GET /v1/jobs", async () => {
    expect((await w("GET", "/v1/jobs/events")).status).toBe((await w("GET", "/v1/jobs")).status);
    const anon = await fetch(`${s.url}/v1/jobs/events`);
    expect(anon.status).toBe(401);
    expect(s.deps.jobChanges.watching).toBe(0);
  });

  test("is documented in /openapi.json as an event stream", async () => {
    const spec = await (await fetch(`${s.url}/openapi.json`)).json();
    const op = spec.paths["/v1/jobs/events"].get;
    expect(Object.keys(op.responses["200"].content)).toEqual(["text/event-stream"]);
    expect(spec.paths["/v1/jobs/{job_id}/result/pages"].get.summary).toContain("elements");
  });
});

describe("GET /v1/jobs?limit=&offset= (the dashboard's paging)", () => {
  test("pages the list newest first and counts every matching job in X-Total-Count; without them the answer is unchanged", async () => {
    const carol = client(s, (await makeKey(s, "user", "carol")).key);
    const ids = [await newJob(carol), await newJob(carol), await newJob(carol)];
    const all = await carol("GET", "/v1/jobs");
    expect(all.body.data.map((j: { id: string }) => j.id)).toEqual([...ids].reverse());
    expect(all.headers.get("x-total-count")).toBeNull();
    const first = await carol("GET", "/v1/jobs?limit=2");
    // a page also counts each job's pages (the list without paging, the reference's answer, does not)
    expect(all.body.data.every((j: object) => !("page_count" in j))).toBe(true);
    const withoutCount = ({ page_count: _n, ...j }: { page_count?: number }) => j;
    expect(first.body.data.map((j: { page_count: number }) => j.page_count)).toEqual([1, 1]);
    expect(first.body.data.map(withoutCount)).toEqual(all.body.data.slice(0, 2));
    expect(first.headers.get("x-total-count")).toBe("3");
    const second = await carol("GET", "/v1/jobs?limit=2&offset=2");
    expect(second.body.data.map(withoutCount)).toEqual(all.body.data.slice(2));
    expect(second.headers.get("x-total-count")).toBe("3");
    expect((await carol("GET", `/v1/jobs?limit=2&state=cancelled`)).headers.get("x-total-count")).toBe("0");
    const bad = await carol("GET", "/v1/jobs?limit=0&offset=-1");
    expect(bad.status).toBe(422);
    expect(bad.body.details.map((d: { loc: string[] }) => d.loc.join("."))).toEqual(["query.limit", "query.offset"]);
  });
});

describe("GET /v1/jobs/{job_id}/result/pages", () => {
  test("425 before the job is done; then the pages with the elements of their ALTO; the page image; others get 403", async () => {
    const id = await newJob(alice, ["scan 1.png", "scan2.png"]);
    const png = pngBytes(210, 297);
    for (const name of ["scan 1.png", "scan2.png"]) {
      expect((await alice("PUT", `/v1/jobs/${id}/images/${encodeURIComponent(name)}/files/image`, { file: png })).status).toBe(201);
    }
    expect((await alice("GET", `/v1/jobs/${id}/result/pages`)).body.code).toBe("JOB_RESULT_NOT_READY");
    const lease = await w("POST", "/v1/jobs/lease");
    expect(lease.body.data.id).toBe(id);
    // the second page's ALTO is not ALTO at all: listed without elements
    const zip = zipSync({ "alto/scan 1.xml": strToU8(ALTO_FIXTURE), "alto/scan2.xml": strToU8("<fake-alto/>"), "renders/scan 1.jpg": png });
    expect((await w("POST", `/v1/jobs/${id}/result`, { file: zip })).body.code).toBe("JOB_RESULT_UPLOADED");
    expect((await w("PATCH", `/v1/jobs/${id}`, { json: { state: "done" } })).body.code).toBe("JOB_COMPLETED");

    const r = await alice("GET", `/v1/jobs/${id}/result/pages`);
    expect(r.status).toBe(200);
    expect(r.body.data.pages).toEqual([
      {
        name: "scan 1.png",
        order: 0,
        alto: "alto/scan 1.xml",
        width: 210,
        height: 297,
        lines: 4,
        elements: [
          {
            id: "id_test_page_CB0001",
            category: "Image",
            confidence: 0.9,
            caption: "This is a caption of an image",
            text: "",
            box: { x: 10, y: 20, w: 70, h: 80 },
          },
        ],
      },
      { name: "scan2.png", order: 1, alto: "alto/scan2.xml", width: 210, height: 297, lines: 0, elements: [] },
    ]);
    const image = await fetch(`${s.url}/v1/jobs/${id}/result/pages/${encodeURIComponent("scan 1.png")}/image`, {
      headers: { "X-API-Key": keys.alice },
    });
    expect(image.status).toBe(200);
    expect(image.headers.get("content-type")).toBe("image/png");
    expect(new Uint8Array(await image.arrayBuffer())).toEqual(new Uint8Array(png));
    expect((await alice("GET", `/v1/jobs/${id}/result/pages/nope.png/image`)).body.code).toBe("IMAGE_NOT_FOUND_FOR_JOB");
    const bob = client(s, keys.bob);
    expect((await bob("GET", `/v1/jobs/${id}/result/pages`)).body.code).toBe("API_KEY_FORBIDDEN_FOR_JOB");
    expect((await bob("GET", `/v1/jobs/${id}/result/pages/scan2.png/image`)).body.code).toBe("API_KEY_FORBIDDEN_FOR_JOB");
    expect((await admin("GET", `/v1/jobs/${id}/result/pages`)).status).toBe(200);
  }, 60_000);
});

describe("page images of TIFF scans (browsers do not show TIFF)", () => {
  test("the page's render from the result ZIP when there is one, else a JPEG made from the TIFF", async () => {
    const rgba = new Uint8Array(120 * 80 * 4).fill(200);
    const tiff = new Uint8Array(UTIF.encodeImage(rgba, 120, 80));
    const id = await newJob(alice, ["t1.tif", "t2.tif"]);
    for (const name of ["t1.tif", "t2.tif"])
      expect((await alice("PUT", `/v1/jobs/${id}/images/${name}/files/image`, { file: tiff })).status).toBe(201);
    expect((await w("POST", "/v1/jobs/lease")).body.data.id).toBe(id);
    const render = new Uint8Array(jpegBytes(120, 80));
    expect((await w("POST", `/v1/jobs/${id}/result`, { file: zipSync({ "renders/t1.jpg": render }) })).body.code).toBe(
      "JOB_RESULT_UPLOADED",
    );
    expect((await w("PATCH", `/v1/jobs/${id}`, { json: { state: "done" } })).body.code).toBe("JOB_COMPLETED");
    const get = (name: string) => fetch(`${s.url}/v1/jobs/${id}/result/pages/${name}/image`, { headers: { "X-API-Key": keys.alice } });
    const fromZip = await get("t1.tif");
    expect(fromZip.headers.get("content-type")).toBe("image/jpeg");
    expect(new Uint8Array(await fromZip.arrayBuffer())).toEqual(render);
    const made = await get("t2.tif");
    expect(made.headers.get("content-type")).toBe("image/jpeg");
    const probe = await probeImage(new Uint8Array(await made.arrayBuffer()));
    expect([probe.format, probe.width, probe.height]).toEqual(["jpeg", 120, 80]);
  });
});

describe("/ui", () => {
  test("the page and its assets are served without any external reference", async () => {
    const page = await fetch(`${s.url}/ui`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\//);
    const [, js] = /src="([^"]+)"/.exec(html)!;
    const [, css] = /href="([^"]+\.css[^"]*)"/.exec(html)!;
    const script = await fetch(s.url + js);
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(script.headers.get("cache-control")).toContain("immutable");
    const code = await script.text();
    expect(code).toContain("/v1/jobs/events");
    expect(code).not.toContain("https://");
    expect((await fetch(s.url + css)).headers.get("content-type")).toBe("text/css; charset=utf-8");
  });

  test("/ sends browsers to /ui and API clients to /docs", async () => {
    const browser = await fetch(`${s.url}/`, { redirect: "manual", headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8" } });
    expect([browser.status, browser.headers.get("location")]).toEqual([307, "/ui"]);
    for (const accept of [undefined, "*/*", "application/json"]) {
      const api = await fetch(`${s.url}/`, { redirect: "manual", headers: accept ? { accept } : {} });
      expect([api.status, api.headers.get("location")]).toEqual([307, "/docs"]);
    }
  });
});
