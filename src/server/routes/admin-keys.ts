/**
 * Key administration (docs/protocol.md §1.6, §4.16–§4.19), admin only: create a key (the full key string
 * is returned once), list keys, update label/role/active, replace a key's secret. Only kid, salt
 * and the HMAC of the secret are stored; the secret itself is never logged or kept.
 */
import { z } from "zod";
import type { AppDeps } from "../context.ts";
import { AppError, envelopeOk } from "../errors.ts";
import { defineRoute } from "../route.ts";
import { keySecretView, keyView } from "../views/admin.ts";
import { createKey, listKeysByLabel, replaceKeyCredentials, updateKeyByLabel } from "../../db/admin-keys.ts";
import { formatApiKey, generateKeyParts, hashSecret, newSalt } from "../../shared/api-key.ts";
import { KeyLabelParams, KeyNewSchema, KeySchema, KeySecretSchema, KeyUpdateSchema } from "../../shared/schemas/keys.ts";

/** PATCH's wording of KEY_ALREADY_EXISTS differs from POST's (docs/protocol.md §2.3). */
const LABEL_TAKEN_ON_UPDATE = "An API key with the specified label already exists.";

export const adminKeyRoutes = (deps: AppDeps) => {
  /** Fresh kid/secret/salt/hash; the secret stays in memory only to be returned once. */
  const freshCredentials = () => {
    const { kid, secret } = generateKeyParts();
    const salt = newSalt();
    return { kid, salt, keyHash: hashSecret(secret, salt, deps.config.hmacSecret), secret };
  };
  const fullKey = (c: { kid: string; secret: string }) => formatApiKey(deps.config.keyPrefix, c.kid, c.secret);

  return [
    defineRoute({
      method: "POST",
      path: "/v1/admin/keys",
      roles: ["admin"],
      body: { json: KeyNewSchema },
      doc: {
        tag: "Admin",
        summary: "Create an API key (the full key is returned once)",
        responses: {
          201: { code: ["KEY_CREATED"], data: KeySecretSchema },
          409: { code: ["KEY_ALREADY_EXISTS", "KEY_CREATION_FAILED"] },
        },
      },
      handler: async ({ body }) => {
        const r = await createKey(deps.sql, body.label, body.role, freshCredentials);
        if (!r.ok) throw new AppError(r.reason === "LABEL_TAKEN" ? "KEY_ALREADY_EXISTS" : "KEY_CREATION_FAILED");
        return envelopeOk("KEY_CREATED", keySecretView(fullKey(r.credentials)));
      },
    }),
    defineRoute({
      method: "GET",
      path: "/v1/admin/keys",
      roles: ["admin"],
      doc: {
        tag: "Admin",
        summary: "List every API key, ordered by label",
        responses: { 200: { code: ["KEYS_RETRIEVED"], data: z.array(KeySchema) } },
      },
      handler: async () => envelopeOk("KEYS_RETRIEVED", (await listKeysByLabel(deps.sql)).map(keyView)),
    }),
    defineRoute({
      method: "PATCH",
      path: "/v1/admin/keys/{label}",
      roles: ["admin"],
      params: KeyLabelParams,
      body: { json: KeyUpdateSchema },
      doc: {
        tag: "Admin",
        summary: "Change a key's label, role or active flag",
        responses: {
          200: { code: ["KEY_UPDATED"] },
          400: { code: ["KEY_UPDATE_NO_FIELDS"] },
          404: { code: ["KEY_NOT_FOUND"] },
          409: { code: ["KEY_ALREADY_EXISTS"] },
        },
      },
      handler: async ({ params, body }) => {
        const update = {
          label: body.label ?? undefined,
          role: body.role ?? undefined,
          active: body.active ?? undefined,
        };
        if (update.label === undefined && update.role === undefined && update.active === undefined)
          throw new AppError("KEY_UPDATE_NO_FIELDS");
        const r = await updateKeyByLabel(deps.sql, params.label, update);
        deps.keys.clear(); // the change holds for the very next request (other replicas: sql/004_key_change_notify.sql NOTIFY)
        if (!r.ok) {
          throw r.reason === "NOT_FOUND"
            ? new AppError("KEY_NOT_FOUND")
            : new AppError("KEY_ALREADY_EXISTS", { detail: LABEL_TAKEN_ON_UPDATE });
        }
        return envelopeOk("KEY_UPDATED", null);
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/admin/keys/{label}/secret",
      roles: ["admin"],
      params: KeyLabelParams,
      doc: {
        tag: "Admin",
        summary: "Replace a key's secret (the old key string stops working at once)",
        responses: {
          201: { code: ["KEY_SECRET_CREATED"], data: KeySecretSchema },
          404: { code: ["KEY_NOT_FOUND"] },
          409: { code: ["KEY_SECRET_CREATION_FAILED"] },
        },
      },
      handler: async ({ params }) => {
        const r = await replaceKeyCredentials(deps.sql, params.label, freshCredentials);
        deps.keys.clear(); // the old key string fails on the very next request (other replicas: sql/004_key_change_notify.sql NOTIFY)
        if (!r.ok) throw new AppError(r.reason === "NOT_FOUND" ? "KEY_NOT_FOUND" : "KEY_SECRET_CREATION_FAILED");
        return envelopeOk("KEY_SECRET_CREATED", keySecretView(fullKey(r.credentials)));
      },
    }),
  ];
};
