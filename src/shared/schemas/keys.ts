/**
 * Key schemas (docs/protocol.md §3.1, §3.7): request bodies of the key admin routes and the response
 * objects. The single source of these types for the server routes, the OpenAPI document and clients.
 */
import { z } from "zod";
import { KeySchema, RoleSchema } from "./common.ts";

export { KeySchema };

/** Path `{label}` of the key admin routes. */
export const KeyLabelParams = z.object({ label: z.string() });

/** `KeyNew` (POST /v1/admin/keys) — unknown members forbidden. */
export const KeyNewSchema = z.strictObject({
  label: z.string().max(255),
  role: RoleSchema,
});
export type KeyNew = z.infer<typeof KeyNewSchema>;

/** `KeyUpdate` (PATCH /v1/admin/keys/{label}) — all optional, null = unchanged. */
export const KeyUpdateSchema = z.strictObject({
  label: z.string().max(255).nullish(),
  role: RoleSchema.nullish(),
  active: z.boolean().nullish(),
});
export type KeyUpdate = z.infer<typeof KeyUpdateSchema>;

/** `KeySecret`: the full key string, returned once by routes 24 and 27. */
export const KeySecretSchema = z.object({ secret: z.string() });
