/**
 * `annopage demo` (`npm run demo`): the whole system on one machine, end to end — `serve` on the
 * embedded database (free port, scratch data directory) with one local worker running the built-in
 * processor, the sample pages submitted by the real client (a child process of this same program),
 * `results.zip` written, a short summary printed, everything stopped.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { defineCommand } from "citty";
import { withHelp } from "../shared/usage.ts";
import { loadServerConfig } from "../config.ts";
import { provisionInternalKey } from "../server/keys/internal-keys.ts";
import { startServer } from "../cli/serve.ts";
import { CliError } from "../shared/cli-error.ts";
import { selfCommand } from "../shared/self.ts";
import { examplesDir } from "./examples.ts";
import { formatSummary, summariseResultZip } from "./summary.ts";

export default withHelp(
  defineCommand({
    meta: { name: "demo", description: "Run serve + a local worker + the client on the sample pages and write results.zip" },
    args: {
      output: { type: "string", valueHint: "file", description: "Where to write the results ZIP", default: "results.zip" },
      examples: {
        type: "string",
        valueHint: "dir",
        description: "A folder with images/, metadata.json and config.json (default: ./examples or the built-in samples)",
      },
      "base-dir": { type: "string", description: "Server data directory (default: a scratch directory, removed afterwards)" },
      keep: { type: "boolean", description: "Keep the scratch data directory" },
    },
    async run({ args }) {
      const t0 = performance.now();
      const scratch = args["base-dir"] ? resolve(args["base-dir"]) : mkdtempSync(join(tmpdir(), "annopage-demo-"));
      const output = resolve(args.output);
      const say = (m: string) => process.stderr.write(`demo: ${m}\n`);
      const config = loadServerConfig({
        ...process.env,
        APP_HOST: "127.0.0.1",
        APP_PORT: "0",
        BASE_DIR: scratch,
        DATABASE_URL: undefined,
        ADMIN_KEY: undefined,
      });
      say(`starting the server on the embedded database in ${scratch}`);
      const server = await startServer(config, { workers: 1 });
      try {
        say(`server at ${server.url} with ${server.workers.count} local worker; built-in engine registered`);
        const userKey = await provisionInternalKey(server.db.sql, config, "demo-user", "user");
        const ex = await examplesDir(args.examples, scratch);
        const submit = Bun.spawn(
          [
            ...selfCommand(),
            "submit",
            "--api-url",
            server.url,
            "--images",
            join(ex, "images"),
            "--metadata",
            join(ex, "metadata.json"),
            "--config",
            join(ex, "config.json"),
            "--output",
            output,
          ],
          // The key goes through the environment, not argv (visible to every user in `ps`).
          {
            env: { ...process.env, ANNOPAGE_API_KEY: userKey, ANNOPAGE_API_URL: server.url },
            stdin: "inherit",
            stdout: "inherit",
            stderr: "inherit",
          },
        );
        const code = await submit.exited;
        if (code !== 0) throw new CliError(`the client failed (exit code ${code}); see its message above`, 1);
        const seconds = (performance.now() - t0) / 1000;
        process.stdout.write(`${formatSummary(await summariseResultZip(output), output, seconds)}\n`);
      } finally {
        await server.stop();
        if (!args["base-dir"] && !args.keep) rmSync(scratch, { recursive: true, force: true });
      }
    },
  }),
  { examples: ["annopage demo", "annopage demo --examples my-pages/ --output my-results.zip"] },
);
