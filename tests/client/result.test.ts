/** Output targets, safe unpacking of result ZIPs, exit-code mapping and unknown-flag detection. */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { strToU8, zipSync } from "fflate";
import { ApiError } from "../../src/client/api.ts";
import { unknownOptions } from "../../src/shared/unknown-options.ts";
import { apiFailure, exitCodeFor } from "../../src/client/exit-codes.ts";
import { resolveOutput, unpackZip } from "../../src/client/result.ts";
import { safeEntryPath } from "../../src/shared/zip/entry-name.ts";
import { CliError } from "../../src/shared/cli-error.ts";

const root = mkdtempSync(join(tmpdir(), "annopage-client-result-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("resolveOutput", () => {
  test(".zip names a file, anything else a directory", () => {
    const problems: string[] = [];
    expect(resolveOutput(join(root, "r.zip"), problems)).toEqual({ kind: "zip", path: join(root, "r.zip") });
    expect(resolveOutput(join(root, "R.ZIP"), problems)!.kind).toBe("zip");
    expect(resolveOutput(join(root, "out"), problems)).toEqual({ kind: "dir", path: join(root, "out") });
    mkdirSync(join(root, "dir.zip"));
    expect(resolveOutput(join(root, "dir.zip"), problems)!.kind).toBe("dir");
    expect(problems).toEqual([]);
  });
  test("missing parent, a file where a directory is wanted, nothing given", () => {
    const problems: string[] = [];
    writeFileSync(join(root, "plain"), "x");
    expect(resolveOutput(join(root, "no", "r.zip"), problems)).toBeUndefined();
    expect(resolveOutput(join(root, "plain"), problems)).toBeUndefined();
    expect(resolveOutput(undefined, problems)).toBeUndefined();
    expect(problems).toEqual([
      `the directory for --output ${join(root, "no", "r.zip")} does not exist (${join(root, "no")})`,
      `--output ${join(root, "plain")} exists and is not a directory (name a .zip file or a directory)`,
      "--output FILE.zip or DIR is required",
    ]);
  });
});

describe("unpackZip", () => {
  test("safe entry names", () => {
    expect(safeEntryPath("alto/p1.xml")).toEqual(["alto", "p1.xml"]);
    expect(safeEntryPath("./a//b.txt")).toEqual(["a", "b.txt"]);
    for (const bad of ["../x", "a/../../x", "/etc/passwd", "C:/x", "a\\b", "a\u0000b", "", "./"])
      expect(safeEntryPath(bad)).toBeUndefined();
  });

  test("unpacks into the directory and leaves no temporary files", async () => {
    const zip = join(root, "ok.zip");
    writeFileSync(zip, zipSync({ "alto/p1.xml": strToU8("<alto/>"), "renders/": new Uint8Array(), "x.txt": strToU8("x") }));
    const dir = join(root, "ok");
    mkdirSync(dir);
    expect((await unpackZip(zip, dir)).sort()).toEqual(["alto/p1.xml", "x.txt"]);
    expect(readFileSync(join(dir, "alto", "p1.xml"), "utf8")).toBe("<alto/>");
    expect(readdirSync(join(dir, "alto"))).toEqual(["p1.xml"]);
  });

  test("a ZIP with an escaping entry writes nothing", async () => {
    const zip = join(root, "evil.zip");
    writeFileSync(zip, zipSync({ "good.txt": strToU8("ok"), "../evil.txt": strToU8("bad") }));
    const dir = join(root, "evil");
    mkdirSync(dir);
    await expect(unpackZip(zip, dir)).rejects.toThrow('the result ZIP has unsafe entry names: "../evil.txt"');
    expect(readdirSync(dir)).toEqual([]);
    expect(existsSync(join(root, "evil.txt"))).toBe(false);
  });
});

describe("exit codes", () => {
  const err = (status: number, code = "X") => new ApiError(status, code, "d", undefined, "GET", "/v1/x");
  test("network and gateway → 3, other 4xx → 2, 500 → 1", () => {
    expect(exitCodeFor(err(0, "NETWORK_ERROR"))).toBe(3);
    expect(exitCodeFor(err(503))).toBe(3);
    expect(exitCodeFor(err(401))).toBe(2);
    expect(exitCodeFor(err(415))).toBe(2);
    expect(exitCodeFor(err(500))).toBe(1);
  });
  test("messages carry the server's code, detail and details", () => {
    const e = apiFailure(
      new ApiError(409, "JOB_NOT_IN_NEW", "Only new jobs.", { state: "queued" }, "PUT", "/v1/x"),
      "the upload of image a.jpg",
      "http://h",
    );
    expect(e).toBeInstanceOf(CliError);
    expect(e.message).toBe('the server refused the upload of image a.jpg: 409 JOB_NOT_IN_NEW: Only new jobs. ({"state":"queued"})');
    const u = apiFailure(new ApiError(0, "NETWORK_ERROR", "ECONNREFUSED", undefined, "GET", "/v1/me"), "listing engines", "http://h:1");
    expect(u.message).toBe("cannot reach the server at http://h:1 while listing engines: ECONNREFUSED");
    expect(u.exitCode).toBe(3);
  });
  test("unknown options are found, known ones and their aliases are not", () => {
    const defs = {
      images: { type: "string" as const },
      alto: { type: "string" as const, alias: ["alto-xmls"] },
      json: { type: "boolean" as const },
    };
    expect(unknownOptions(["--images", "x", "--alto-xmls=y", "--no-json", "--imgs", "z", "--", "--later"], defs)).toEqual([
      "unknown option --imgs",
    ]);
  });
});
