/** `GET /v1/me` (§4.2): the caller's key. */
import type { AppDeps } from "../context.ts";
import { envelopeOk } from "../errors.ts";
import { defineRoute } from "../route.ts";
import { keyView } from "../views.ts";
import { KeySchema } from "../../shared/schemas/common.ts";

export const meRoutes = (_deps: AppDeps) => [
  defineRoute({
    method: "GET",
    path: "/v1/me",
    roles: ["readonly", "user", "worker"],
    doc: { tag: "User", summary: "The calling API key", responses: { 200: { code: ["API_KEY_VALID"], data: KeySchema } } },
    handler: ({ key }) => envelopeOk("API_KEY_VALID", keyView(key)),
  }),
];
