/**
 * The client commands against a port where no server runs (docs/decisions.md §10): "connection refused" is
 * reported after one quick retry round (REFUSED_RETRY attempts, no "retrying" lines), once, as one
 * line naming the URL once, with exit code 3. (Transient failures keep the full retry policy:
 * tests/client/transport.test.ts and tests/db/outage.test.ts.)
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REFUSED_RETRY } from "../../src/client/api.ts";
import { makePageFolder } from "../helpers/files.ts";
import { runCli } from "../helpers/cli.ts";
import { freePort } from "../helpers/ports.ts";

const tmp = mkdtempSync(join(tmpdir(), "annopage-unreachable-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A URL with a long path prefix on a port that was free a moment ago (nothing listens there). */
async function deadUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}/a/rather/long/path/prefix/of/the/api`;
}

const lines = (text: string) => text.split("\n").filter((l) => l.trim() !== "");
const occurrences = (text: string, part: string) => text.split(part).length - 1;

test("engines: one line on stderr, the URL once, tried REFUSED_RETRY.attempts times, exit code 3", async () => {
  const url = await deadUrl();
  const r = await runCli(["engines", "--api-url", url, "--api-key", "doc-api.kid.secret"]);
  expect(r.code).toBe(3);
  expect(r.stdout).toBe("");
  expect(lines(r.stderr)).toEqual([
    `annopage: cannot reach the server at ${url} while listing engines: connection refused (tried ${REFUSED_RETRY.attempts} times)`,
  ]);
}, 60_000);

test("submit: no retry lines, one line on stderr naming the URL once, the same error in the JSON document, exit code 3", async () => {
  const url = await deadUrl();
  const f = makePageFolder(join(tmp, "pages"), ["p1.jpg", "p2.jpg"]);
  const r = await runCli(["submit", "--images", f.images, "--output-alto", "--output", join(tmp, "out.zip"), "--json"], {
    env: {
      ANNOPAGE_API_URL: url,
      ANNOPAGE_API_KEY: "doc-api.kid.secret",
    },
  });
  expect(r.code).toBe(3);
  const err = lines(r.stderr);
  expect(err).toHaveLength(1);
  expect(err[0]).toContain("connection refused");
  expect(err[0]).toContain(`(tried ${REFUSED_RETRY.attempts} times)`);
  expect(occurrences(err[0]!, url)).toBe(1);
  expect(r.stderr).not.toContain("retrying");
  const doc = JSON.parse(r.stdout) as { error: string; exit_code: number };
  expect(doc.exit_code).toBe(3);
  expect(`annopage: ${doc.error}`).toBe(err[0]!);
}, 60_000);
