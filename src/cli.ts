#!/usr/bin/env bun
/**
 * `annopage`: the entry of the executable (package.json "bin", scripts/build.ts). The commands and their running
 * are in src/cli/main.ts, the printing of failures in src/cli/errors.ts; neither loads a database module
 * (`annopage --version` must not pay for PGlite).
 */
import { main, run } from "./cli/main.ts";

export { main, run };

if (import.meta.main) {
  // The worker's processor supervisor (src/worker/supervisor.ts): internal, not a subcommand.
  const { SUPERVISE_ARG, supervise } = await import("./worker/supervisor.ts");
  if (process.argv[2] === SUPERVISE_ARG) await supervise(process.argv.slice(3));
  // Started as annopage_client / annopage_worker / annopage_api (e.g. a symlink to the binary)?
  const { aliasedArgs } = await import("./cli/aliases.ts");
  const code = await run(aliasedArgs([process.argv0, process.argv[1]], process.argv.slice(2)));
  process.exit(code);
}
