/**
 * `GET /v1/me` (docs/protocol.md §4.2): the caller's key, with `last_used` = this request (§1.3 step 4: what clients see). The stored
 * value is written at most once a minute per key (docs/performance.md §1; middleware/auth.ts), so other views may show it up to a
 * minute old.
 */
import { nowIso } from "../jobs/clock.ts";
import type { AppDeps } from "../context.ts";
import { envelopeOk } from "../errors.ts";
import { defineRoute } from "../route.ts";
import { keyView } from "../views/jobs.ts";
import { KeySchema } from "../../shared/schemas/common.ts";

export const meRoutes = (_deps: AppDeps) => [
  defineRoute({
    method: "GET",
    path: "/v1/me",
    roles: ["readonly", "user", "worker"],
    doc: { tag: "User", summary: "The calling API key", responses: { 200: { code: ["API_KEY_VALID"], data: KeySchema } } },
    handler: ({ key }) => envelopeOk("API_KEY_VALID", keyView({ ...key, last_used: nowIso() })),
  }),
];
