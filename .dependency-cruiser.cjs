/**
 * Import direction (the README's code map): composition lives at the top (src/cli.ts, src/cli/);
 * the server knows neither the worker nor the page processor, storage knows nothing of the
 * configuration, and the CLI entry loads the embedded database only when a command needs it.
 * Run with `npm run lint:deps` (.ci/run runs it before the tests).
 */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "Modules import each other in one direction only.",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "server-not-worker",
      severity: "error",
      comment: "The server does not start or import the worker; `annopage serve` (src/cli/) combines them.",
      from: { path: "^src/server/" },
      to: { path: "^src/worker/" },
    },
    {
      name: "server-not-engine",
      severity: "error",
      comment: "The server does not import the page processor; what it needs of it is passed in from src/cli/.",
      from: { path: "^src/server/" },
      to: { path: "^src/processor/" },
    },
    {
      name: "storage-not-config",
      severity: "error",
      comment: "Storage gets its settings as values; it does not import the configuration module.",
      from: { path: "^src/storage/" },
      to: { path: "^src/config\\.ts$" },
    },
    {
      name: "db-below-server",
      severity: "error",
      comment: "The data layer is below the server: src/db/ imports nothing of src/server/ (time helpers live in src/shared/timestamps.ts).",
      from: { path: "^src/db/" },
      to: { path: "^src/(server|worker|client|processor|cli)/" },
    },
    {
      name: "shared-is-shared",
      severity: "error",
      comment: "src/shared/ (schemas, time formats, ZIP, retry…) is imported by every side and imports none of them.",
      from: { path: "^src/shared/" },
      to: { path: "^src/(server|worker|client|processor|cli|db)/" },
    },
    {
      name: "cli-not-embedded-db",
      severity: "error",
      comment: "`annopage --version` must not load PGlite: the CLI (src/cli.ts, src/cli/) does not import src/db/embedded.ts, not even to recognise its errors (DataDirInUseError is a CliError).",
      from: { path: "^src/(cli\\.ts|cli/)" },
      to: { path: "^src/db/embedded\\.ts$" },
    },
    {
      name: "python-compat-standalone",
      severity: "error",
      comment:
        "src/python-compat/ holds what exists to match the Python reference tool and DocAPI byte for byte; it stays a leaf: nothing of the server, worker, client or page processor.",
      from: { path: "^src/python-compat/" },
      to: { path: "^src/(server|worker|client|processor)/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|dist)/" },
    tsPreCompilationDeps: true,
    parser: "swc",
    enhancedResolveOptions: { extensions: [".ts", ".tsx", ".js", ".json"] },
  },
};
