/**
 * The project's shared reference folder (its fixtures; the specifications the code follows are in docs/): `shared/` beside the checkout, as laid out
 * for sessions and CI, else the session's own copy at /work/shared.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";

const candidates = [resolve(import.meta.dir, "..", "..", "..", "shared"), "/work/shared"];
export const SHARED = candidates.find((d) => existsSync(resolve(d, "fixtures"))) ?? candidates[0]!;
/** The dev page images of the shared fixtures. */
export const PAGES = `${SHARED}/fixtures/pages/images`;
