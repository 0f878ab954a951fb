/**
 * Starts a real server in this process on 127.0.0.1 (free port) against a fresh PostgreSQL
 * database (or the embedded one with `embedded: true`), with its own temporary BASE_DIR.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadServerConfig, type ServerConfig } from "../../src/config.ts";
import { startServer } from "../../src/cli/serve.ts";
import type { RunningServer } from "../../src/server/serve.ts";
import { createTestDatabase, type TestDatabase } from "./db.ts";

export const ADMIN_KEY = "doc-api.testadminkid2.testadminsecret";

export interface TestServer extends RunningServer {
  config: ServerConfig;
  adminKey: string;
  baseDir: string;
  database?: TestDatabase;
  close(): Promise<void>;
}

export async function startTestServer(
  opts: {
    embedded?: boolean;
    env?: Record<string, string>;
    baseDir?: string;
    /** How the server reaches its fresh database (e.g. through a TCP proxy the test can cut). */
    databaseUrl?: (url: string) => string;
  } = {},
): Promise<TestServer> {
  const baseDir = opts.baseDir ?? mkdtempSync(join(tmpdir(), "annopage-test-"));
  const database = opts.embedded ? undefined : await createTestDatabase("srv");
  const config = loadServerConfig({
    APP_HOST: "127.0.0.1",
    APP_PORT: "0",
    BASE_DIR: baseDir,
    ADMIN_KEY,
    ...(database ? { DATABASE_URL: opts.databaseUrl ? opts.databaseUrl(database.url) : database.url } : {}),
    ...opts.env,
  });
  const server = await startServer(config);
  return {
    ...server,
    config,
    adminKey: ADMIN_KEY,
    baseDir,
    database,
    async close() {
      await server.stop();
      await database?.drop();
      if (!opts.baseDir) rmSync(baseDir, { recursive: true, force: true });
    },
  };
}
