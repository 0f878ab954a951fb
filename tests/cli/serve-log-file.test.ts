/**
 * The server log file (docs/protocol.md §6.1, §8): `{LOGGING_DIR}/server.log` written by a real `annopage serve` process
 * in the line form `time : logger : hostname : LEVEL : message` at LOGGING_FILE_LEVEL, and its rotation at UTC
 * midnight to `server.log.YYYY-MM-DD`.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { DailyLogFile } from "../../src/shared/daily-log-file.ts";
import { startCli } from "../helpers/cli.ts";

const dirs: string[] = [];
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), "annopage-logfile-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const LINE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} : annopage : (\S+) : (DEBUG|INFO|WARNING|ERROR) : (.*)$/;

describe("server.log", () => {
  test("rotates at UTC midnight: the earlier day's lines move to server.log.<that day>", () => {
    const dir = fresh();
    let now = new Date("2026-11-28T23:59:59.500Z");
    const f = new DailyLogFile(dir, () => now, "server.log");
    f.write("late on the 28th");
    now = new Date("2026-11-29T00:00:00.100Z");
    f.write("early on the 29th");
    f.write("later on the 29th");
    expect(readFileSync(join(dir, "server.log.2026-11-28"), "utf8")).toBe("late on the 28th\n");
    expect(readFileSync(join(dir, "server.log"), "utf8")).toBe("early on the 29th\nlater on the 29th\n");
    // A new process finds yesterday's file by its modification time and rotates it on its first line.
    now = new Date(Date.now() + 86_400_000);
    new DailyLogFile(dir, () => now, "server.log").write("next day");
    expect(readFileSync(join(dir, "server.log"), "utf8")).toBe("next day\n");
    expect(existsSync(join(dir, `server.log.${new Date().toISOString().slice(0, 10)}`))).toBe(true);
  });

  test("a real serve process logs start and stop at INFO; LOGGING_FILE_LEVEL=WARNING keeps INFO out", async () => {
    for (const level of ["INFO", "WARNING"]) {
      const base = fresh();
      const child = startCli(["serve", "--host", "127.0.0.1", "--port", "0", "--base-dir", base, "--workers", "0"], {
        env: { LOGGING_FILE_LEVEL: level, ADMIN_KEY: undefined }, // no ADMIN_KEY: one is generated and shown once
      });
      const [, url] = await child.waitFor(
        /listening on (http:\/\/127\.0\.0\.1:\d+)/,
        90_000 /* a first start on the embedded database, on a loaded machine */,
      );
      const [, generated] = await child.waitFor(/\n {2}(\S+\.\S+\.\S+)\n/, 10_000);
      child.kill("SIGTERM");
      expect(await child.exited).toBe(0);
      const log = join(base, "logs", "server.log");
      const lines = existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").filter(Boolean) : [];
      if (level === "WARNING") {
        expect(lines.filter((l) => LINE.exec(l)?.[2] === "INFO")).toEqual([]);
        continue;
      }
      for (const l of lines) expect(l).toMatch(LINE);
      const parsed = lines.map((l) => LINE.exec(l)!);
      expect(parsed[0]![1]).toBe(hostname());
      expect(parsed.map((m) => `${m[2]} ${m[3]}`)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(new RegExp(`^INFO annopage serve listening on ${url!.replace(/[.]/g, "\\.")} `)),
          "INFO SIGTERM: shutting down",
          "INFO stopped",
        ]),
      );
      expect(readFileSync(log, "utf8")).not.toContain(generated!.split(".")[2]!); // never the generated key's secret
    }
  }, 240_000);
});
