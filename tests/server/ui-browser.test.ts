/**
 * The web dashboard (docs/decisions.md §11) in Debian's Chromium against a real server on PostgreSQL and a real worker (the test
 * processor writing ALTO with two elements per page): sign in, submit two pages by drag and drop, watch the job reach
 * done through live updates, open the viewer and find the boxes, download the ZIP; an admin creates and disables a
 * key and deactivates an engine; another user cannot see the job. Takes the screenshots shown in the README: into
 * docs/ with UPDATE_SCREENSHOTS=1 (`UPDATE_SCREENSHOTS=1 bun test tests/server/ui-browser.test.ts`), else into a temporary
 * directory, so a test run never changes a tracked file.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createCanvas } from "@napi-rs/canvas";
import { unzipSync } from "fflate";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { startLocalWorkers } from "../../src/cli/local-workers.ts";
import type { LocalWorkers } from "../../src/server/serve.ts";
import { accessibilityViolations, launchBrowser, signIn, type TestBrowser } from "../helpers/browser.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { makeKey } from "../helpers/keys.ts";
import { BUN, FAKE_PROCESSOR, REPO } from "../helpers/cli.ts";

const PROCESSOR = [BUN, FAKE_PROCESSOR];
const UPDATE_SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === "1";
const DOCS = UPDATE_SCREENSHOTS ? join(REPO, "docs") : mkdtempSync(join(tmpdir(), "annopage-ui-shots-"));
afterAll(() => {
  if (!UPDATE_SCREENSHOTS) rmSync(DOCS, { recursive: true, force: true });
});

let server: TestServer;
let browser: TestBrowser;
let workers: LocalWorkers | undefined;
let alice: { key: string; label: string };
let bob: { key: string; label: string };
let jobId = "";

/** A 400 × 500 scan-like page: a dark photograph and a ruled table where the test processor reports them. */
function pagePng(title: string): string {
  const c = createCanvas(400, 500);
  const g = c.getContext("2d");
  g.fillStyle = "#f4efe1";
  g.fillRect(0, 0, 400, 500);
  g.fillStyle = "#5b5247";
  g.fillRect(40, 60, 200, 150);
  g.strokeStyle = "#333";
  for (let y = 260; y <= 380; y += 30) g.strokeRect(60, y, 240, 0);
  for (const x of [60, 180, 300]) g.strokeRect(x, 260, 0, 120);
  g.fillStyle = "#222";
  g.font = "20px sans-serif";
  g.fillText(title, 40, 40);
  g.fillText("Total 42", 80, 322);
  for (let y = 410; y < 480; y += 18) g.fillRect(40, y, 320, 6);
  return c.toBuffer("image/png").toString("base64");
}

/** Drops files on the element matching `selector` as a user dragging them from the desktop would. */
async function dropFiles(page: Page, selector: string, files: { name: string; type: string; base64: string }[]) {
  const transfer = await page.evaluateHandle((list) => {
    const dt = new DataTransfer();
    for (const f of list) dt.items.add(new File([Uint8Array.from(atob(f.base64), (ch) => ch.charCodeAt(0))], f.name, { type: f.type }));
    return dt;
  }, files);
  await page.dispatchEvent(selector, "drop", { dataTransfer: transfer });
}

const listCalls: string[] = [];

beforeAll(async () => {
  process.env.FAKE_PROCESSOR_ELEMENTS = "1";
  process.env.FAKE_PROCESSOR_MODE = "slow";
  process.env.FAKE_PROCESSOR_DELAY_MS = "700";
  server = await startTestServer();
  alice = await makeKey(server, "user", "alice");
  bob = await makeKey(server, "user", "bob");
  browser = await launchBrowser();
  browser.page.on("request", (r) => {
    if (new URL(r.url()).pathname === "/v1/jobs" && r.method() === "GET") listCalls.push(r.url());
    expect(r.url()).not.toContain(alice.key.split(".").pop()!); // the key never goes into a URL
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await workers?.stop(true);
  await server?.close();
  delete process.env.FAKE_PROCESSOR_ELEMENTS;
  delete process.env.FAKE_PROCESSOR_MODE;
  delete process.env.FAKE_PROCESSOR_DELAY_MS;
});

test("a browser at / is sent to the dashboard; sign-in keeps the key in session storage only", async () => {
  const { page } = browser;
  await page.goto(`${server.url}/`);
  expect(new URL(page.url()).pathname).toBe("/ui");
  expect(await accessibilityViolations(page)).toEqual([]);
  await page.getByLabel("API key").fill("doc-api.nothing.wrong");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert").textContent()).resolves.toContain("not valid");
  await signIn(page, server.url, alice.key);
  expect(await page.locator(".who").textContent()).toBe("alice (user)");
  expect(await page.evaluate(() => sessionStorage.getItem("annopage.apiKey"))).toBe(alice.key);
  expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toContain(alice.key);
}, 60_000);

test("submit two pages by drag and drop; the list shows the job reach done through live updates", async () => {
  const { page } = browser;
  await page.getByRole("link", { name: "Submit", exact: true }).click();
  await dropFiles(page, ".drop", [
    { name: "p1.png", type: "image/png", base64: pagePng("Page one") },
    { name: "p2.png", type: "image/png", base64: pagePng("Page two") },
  ]);
  expect(await accessibilityViolations(page)).toEqual([]);
  await page.getByRole("button", { name: "Submit 2 pages" }).click();
  await page.getByRole("heading", { name: /^Job / }).waitFor();
  jobId = page.url().split("#/jobs/")[1]!;
  expect(jobId).toMatch(/^[0-9a-f-]{36}$/);
  await page.locator(".s-queued").waitFor(); // both files uploaded: queued, no worker yet

  await page.getByRole("link", { name: "Jobs", exact: true }).click();
  await page.getByText("● live").waitFor();
  const row = page.locator(`tr[data-job="${jobId}"]`);
  expect(await row.locator(".state").textContent()).toBe("queued");
  const callsBefore = listCalls.length;
  workers = await startLocalWorkers(server.deps.sql, server.config, server.url, 1, { processor: PROCESSOR, waitSeconds: 1 });
  await row.locator(".s-processing").waitFor({ timeout: 60_000 });
  await row.locator(".s-done").waitFor({ timeout: 60_000 });
  expect(await row.locator(".pct").textContent()).toBe("100 %");
  expect(await row.locator(".pages-done").textContent()).toBe("2 / 2 pages");
  expect(listCalls.length).toBe(callsBefore); // the changes came by the event stream, not by reloading the list
  // Two more jobs, made through the API, appear without a reload: one waiting for its files, one cancelled.
  const call = (method: string, path: string, body: unknown) =>
    fetch(server.url + path, {
      method,
      headers: { "X-API-Key": alice.key, "content-type": "application/json" },
      body: JSON.stringify(body),
    }).then((r) => r.json());
  const waiting = await call("POST", "/v1/jobs", { images: [{ name: "scan-001.tif", order: 1 }] });
  const cancelled = await call("POST", "/v1/jobs", { images: [{ name: "scan-002.tif", order: 1 }] });
  await call("PATCH", `/v1/jobs/${cancelled.data.id}`, { state: "cancelled" });
  await page.locator(`tr[data-job="${waiting.data.id}"] .s-new`).waitFor();
  await page.locator(`tr[data-job="${cancelled.data.id}"] .s-cancelled`).waitFor();
  expect(listCalls.length).toBe(callsBefore);
  await page.screenshot({ path: join(DOCS, "ui-jobs.png") });
  expect(await accessibilityViolations(page)).toEqual([]);
}, 120_000);

test("the job page shows pages, log and the result ZIP downloads", async () => {
  const { page } = browser;
  await page.locator(`tr[data-job="${jobId}"] a`).click();
  await page.locator(".s-done").waitFor();
  expect(await page.locator(".pages-done").textContent()).toBe("2 / 2");
  expect(await accessibilityViolations(page)).toEqual([]);
  expect(await page.getByRole("button", { name: "Cancel job" }).count()).toBe(0);
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download result ZIP" }).click()]);
  expect(download.suggestedFilename()).toBe(`${jobId}.zip`);
  const entries = unzipSync(new Uint8Array(readFileSync((await download.path())!)));
  expect(
    Object.keys(entries)
      .filter((n) => n.startsWith("alto/"))
      .sort(),
  ).toEqual(["alto/p1.xml", "alto/p2.xml"]);
}, 60_000);

test("the viewer draws the page's elements as boxes and tells their category, confidence, caption and text", async () => {
  const { page } = browser;
  await page.getByRole("link", { name: "View pages" }).click();
  await page.getByRole("heading", { name: "p1.png" }).waitFor();
  await page.locator(".canvas img").waitFor();
  const boxes = page.locator("rect.box");
  expect(
    await boxes.evaluateAll((els) => els.map((e) => [e.getAttribute("data-category"), e.getAttribute("x"), e.getAttribute("y")])),
  ).toEqual([
    ["Photograph", "40", "60"],
    ["Table", "60", "260"],
  ]);
  await boxes.first().click();
  const details = page.locator(".element-details");
  expect(await details.textContent()).toContain("Fake photograph of p1");
  expect(await details.textContent()).toContain("0.91");
  await boxes.nth(1).focus(); // keyboard users reach every box
  expect(await details.textContent()).toContain("Total 42");
  await page.getByRole("button", { name: "Zoom in" }).click();
  expect(await page.locator(".toolbar").textContent()).toContain("125 %");
  // the wheel zooms about the pointer: the point under it stays put
  const centre = async () => {
    const b = (await boxes.first().boundingBox())!;
    return { x: b.x + b.width / 2, y: b.y + b.height / 2, w: b.width };
  };
  const before = await centre();
  await page.mouse.move(before.x, before.y);
  await page.mouse.wheel(0, -100);
  await page.waitForFunction((w) => document.querySelector("rect.box")!.getBoundingClientRect().width > w + 1, before.w);
  const after = await centre();
  expect(Math.abs(after.x - before.x) + Math.abs(after.y - before.y)).toBeLessThan(2);
  // dragging the page (not a box) and the arrow keys pan
  const stage = (await page.locator(".stage").boundingBox())!;
  await page.mouse.move(stage.x + stage.width - 20, stage.y + stage.height - 20);
  await page.mouse.down();
  await page.mouse.move(stage.x + stage.width - 70, stage.y + stage.height - 50, { steps: 4 });
  await page.mouse.up();
  const dragged = await centre();
  expect([Math.round(dragged.x - after.x), Math.round(dragged.y - after.y)]).toEqual([-50, -30]);
  await page.locator(".stage").focus();
  await page.keyboard.press("ArrowLeft");
  expect(Math.round((await centre()).x - dragged.x)).toBe(60);
  await page.getByRole("button", { name: "Fit" }).click();
  await page.screenshot({ path: join(DOCS, "ui-viewer.png") });
  expect(await accessibilityViolations(page)).toEqual([]);
  await page.getByRole("button", { name: "Next page →" }).click();
  await page.getByRole("heading", { name: "p2.png" }).waitFor();
  await page.locator("rect.box").first().click();
  expect(await page.locator(".element-details").textContent()).toContain("Fake photograph of p2");
}, 60_000);

test("a job still waiting for files takes the missing ones on its page (a submission resumed after a reload), and can be cancelled", async () => {
  const { page } = browser;
  const call = (method: string, path: string, o: { json?: unknown; file?: string } = {}) => {
    const body = o.file ? new FormData() : o.json === undefined ? undefined : JSON.stringify(o.json);
    if (o.file && body instanceof FormData) body.append("file", new Blob([Buffer.from(o.file, "base64")]), "x.png");
    return fetch(server.url + path, {
      method,
      headers: { "X-API-Key": alice.key, ...(o.json ? { "content-type": "application/json" } : {}) },
      body,
    }).then((r) => r.json());
  };
  const half = (
    await call("POST", "/v1/jobs", {
      json: {
        images: [
          { name: "p3.png", order: 1 },
          { name: "p4.png", order: 2 },
        ],
      },
    })
  ).data.id;
  expect((await call("PUT", `/v1/jobs/${half}/images/p3.png/files/image`, { file: pagePng("Page three") })).code).toBe("IMAGE_UPLOADED");
  await page.goto(`${server.url}/ui#/jobs/${half}`);
  await page.reload(); // still signed in: the key is in this tab's session storage
  await page.getByRole("heading", { name: "Waiting for files" }).waitFor();
  expect(await page.locator(".card").textContent()).toContain("Still missing: image p4.png.");
  await dropFiles(page, ".drop", [{ name: "p4.png", type: "image/png", base64: pagePng("Page four") }]);
  await page.locator(".s-queued, .s-processing, .s-done").waitFor();
  expect((await call("GET", `/v1/jobs/${half}`)).data.images.map((i: { image_uploaded: boolean }) => i.image_uploaded)).toEqual([
    true,
    true,
  ]);

  const waiting = (await call("POST", "/v1/jobs", { json: { images: [{ name: "p5.png", order: 1 }] } })).data.id;
  await page.goto(`${server.url}/ui#/jobs/${waiting}`);
  page.once("dialog", (d) => void d.accept());
  await page.getByRole("button", { name: "Cancel job" }).click();
  await page.locator(".s-cancelled").waitFor();
  expect((await call("GET", `/v1/jobs/${waiting}`)).data.state).toBe("cancelled");
}, 60_000);

test("a submission whose upload broke is continued after a reload", async () => {
  const { page } = browser;
  await page.goto(`${server.url}/ui#/submit`);
  await page.route("**/files/image", (route) => (route.request().url().includes("/q2.png/") ? route.abort() : route.continue()));
  await dropFiles(page, ".drop", [
    { name: "q1.png", type: "image/png", base64: pagePng("Page q1") },
    { name: "q2.png", type: "image/png", base64: pagePng("Page q2") },
  ]);
  await page.getByRole("button", { name: "Submit 2 pages" }).click();
  await page.getByText("Some files did not upload").waitFor();
  await page.unroute("**/files/image");

  await page.reload();
  await page.getByText("An earlier submission did not finish uploading.").waitFor();
  await page.getByRole("link", { name: "Continue it on its job page" }).click();
  await page.getByRole("heading", { name: "Waiting for files" }).waitFor();
  expect(await page.locator(".card").textContent()).toContain("Still missing: image q2.png.");
  await dropFiles(page, ".drop", [{ name: "q2.png", type: "image/png", base64: pagePng("Page q2") }]);
  await page.locator(".s-queued, .s-processing, .s-done").waitFor();
  await page.getByRole("link", { name: "Submit", exact: true }).click();
  await page.getByRole("heading", { name: "Submit pages" }).waitFor();
  expect(await page.getByText("An earlier submission did not finish uploading.").count()).toBe(0);
}, 60_000);

test("another user sees neither the job in the list nor its page", async () => {
  const other = await launchBrowser();
  try {
    await signIn(other.page, server.url, bob.key);
    await other.page.getByText("No jobs").waitFor();
    await other.page.goto(`${server.url}/ui#/jobs/${jobId}`);
    await other.page.getByRole("alert").waitFor();
    expect(await other.page.getByRole("alert").textContent()).toContain("API_KEY_FORBIDDEN_FOR_JOB");
  } finally {
    await other.close();
  }
}, 60_000);

test("without the event stream the list falls back to polling; a readonly key gets neither Submit nor Admin", async () => {
  const reader = await makeKey(server, "readonly", "reader");
  const other = await launchBrowser();
  try {
    const { page } = other;
    await page.route("**/v1/jobs/events", (route) => route.abort()); // e.g. a proxy that refuses long responses
    await signIn(page, server.url, alice.key);
    await page.getByText("○ polling").waitFor();
    const created = await fetch(`${server.url}/v1/jobs`, {
      method: "POST",
      headers: { "X-API-Key": alice.key, "content-type": "application/json" },
      body: JSON.stringify({ images: [{ name: "polled.png", order: 1 }] }),
    }).then((r) => r.json());
    await page.locator(`tr[data-job="${created.data.id}"]`).waitFor({ timeout: 30_000 }); // within a poll (5 s)

    await page.getByRole("button", { name: "Sign out" }).click();
    await signIn(page, server.url, reader.key);
    expect(await page.getByRole("link", { name: "Submit", exact: true }).count()).toBe(0);
    expect(await page.getByRole("link", { name: "Admin", exact: true }).count()).toBe(0);
    await page.getByText("No jobs.").waitFor(); // a readonly key owns no job
  } finally {
    await other.close();
  }
}, 60_000);

test("an admin creates a key (shown once), disables it, and deactivates an engine", async () => {
  const admin = await launchBrowser();
  try {
    const { page } = admin;
    await signIn(page, server.url, server.adminKey);
    await page.getByText("All jobs").waitFor();
    await page.locator(`tr[data-job="${jobId}"]`).waitFor(); // an admin sees every job
    await page.getByRole("link", { name: "Admin" }).click();
    await page.getByLabel("Label").fill("made-in-ui");
    await page.getByLabel("Role").selectOption("readonly");
    await page.getByRole("button", { name: "Create key" }).click();
    const secret = await page.getByLabel("New API key").inputValue();
    expect(await accessibilityViolations(page)).toEqual([]);
    const me = (k: string) => fetch(`${server.url}/v1/me`, { headers: { "X-API-Key": k } });
    expect((await me(secret)).status).toBe(200);
    const row = page.locator('tr[data-key="made-in-ui"]');
    await row.getByRole("button", { name: "Disable", exact: true }).click();
    await row.getByRole("button", { name: "Enable", exact: true }).waitFor();
    expect(await row.locator(".active").textContent()).toBe("no");
    await Bun.sleep(server.config.keyCacheMs + 50);
    const refused = await me(secret);
    expect([refused.status, (await refused.json()).code]).toEqual([403, "API_KEY_INACTIVE"]);

    const engine = page.locator('tr[data-engine^="annopage/"]');
    await engine.getByRole("button", { name: "Deactivate" }).click();
    await engine.getByRole("button", { name: "Activate", exact: true }).waitFor();
    const listed = await fetch(`${server.url}/v1/engines`, { headers: { "X-API-Key": server.adminKey } }).then((r) => r.json());
    expect(listed.data.filter((e: { name: string }) => e.name === "annopage").map((e: { active: boolean }) => e.active)).toEqual([false]);
    await engine.getByRole("button", { name: "Activate", exact: true }).click();
    await engine.getByRole("button", { name: "Deactivate" }).waitFor();
  } finally {
    await admin.close();
  }
}, 60_000);
