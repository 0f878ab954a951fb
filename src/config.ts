/**
 * Server configuration: the environment variables of docs/protocol.md §8 (plus our extensions), parsed and
 * validated in one place with zod. CLI flags of `annopage serve` are applied on top of the
 * environment (flags win). A wrong value is a ConfigError naming the variable; the CLI prints it on
 * one line and exits with code 2. ServerConfig is the output type of ServerConfigSchema (EnvSchema
 * and its mapping to the server's fields), not a separate description.
 */
import { availableParallelism } from "node:os";
import { resolve, join } from "node:path";
import { z } from "zod";
import { ConfigError } from "./shared/config-error.ts";

export { ConfigError };

/** docs/protocol.md §8: unset → default; set → true iff the trimmed, lower-cased value is `true` or `1` (so `yes` and `` are false). */
const envBool = (dflt: boolean) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined ? dflt : ["true", "1"].includes(v.trim().toLowerCase())));

/**
 * Connections per server process unless DATABASE_POOL_SIZE says otherwise: twice the CPU cores, at least 4. More
 * connections than PostgreSQL has cores to run them only add backends that contend for the same cores: on the 2-core
 * benchmark machine the life cycle ran 92–94 jobs/s with 4 connections, 86–88 with 10 and 82–83 with 16.
 */
const DEFAULT_POOL_SIZE = Math.max(4, 2 * availableParallelism());

const envInt = (dflt: number, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === "") return dflt;
      const n = Number(v.trim());
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: "custom", message: `must be an integer between ${min} and ${max}, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

const envStr = (dflt?: string) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v === "" ? dflt : v));

/** OpenAPI `examples` map (name → Example Object), given as JSON in JOB_DEFINITION_EXAMPLES / META_JSON_EXAMPLES. */
const OpenApiExamplesSchema = z.record(
  z.string(),
  z.looseObject({
    summary: z.string().optional(),
    description: z.string().optional(),
    value: z.unknown().optional(),
    externalValue: z.string().optional(),
  }),
);

const envExamples = () =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === "") return undefined;
      let value: unknown;
      try {
        value = JSON.parse(v);
      } catch (e) {
        ctx.addIssue({ code: "custom", message: `must be JSON (${(e as Error).message})` });
        return z.NEVER;
      }
      const parsed = OpenApiExamplesSchema.safeParse(value);
      if (!parsed.success) {
        ctx.addIssue({
          code: "custom",
          message: "must be a JSON object mapping example names to OpenAPI Example objects ({summary, description, value})",
        });
        return z.NEVER;
      }
      return parsed.data;
    });

/** Comma list, each entry trimmed, empty entries dropped. */
const envList = (dflt: string) =>
  envStr(dflt).transform((v) =>
    v!
      .split(",")
      .map((x) => x.trim())
      .filter((x) => x !== ""),
  );

/** The reference's HMAC secret (docs/protocol.md §8); `serve` warns when it is still in use. */
export const DEFAULT_HMAC_SECRET = "changemehmacsecret12345";
const DEFAULT_CONTACT = "the administrator of this server";

const KEY_RE = /^[^.]+\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/;

const EnvSchema = z.object({
  APP_HOST: envStr("0.0.0.0"),
  APP_PORT: envInt(9999, 0, 65535),
  PRODUCTION: envBool(false),
  APP_URL_ROOT: envStr(""),
  APP_BASE_URL: envStr(),
  /** Sender name and subject prefix of the internal error mails. */
  ADMIN_SERVER_NAME: envStr("pc-doc-api-01"),
  KEY_PREFIX: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v === "" ? "doc-api" : v))
    .refine((v) => !v.includes("."), "must not contain a dot"),
  ADMIN_KEY: envStr().refine((v) => v === undefined || KEY_RE.test(v), "must look like prefix.kid.secret"),
  HMAC_SECRET: envStr(DEFAULT_HMAC_SECRET),
  SERVER_NAME: envStr("DocAPI"),
  APP_VERSION: envStr("custom"),
  // The reference's default is one institution's mail address (docs/protocol.md §8: admin@pc-doc-api-01.cz);
  // ours names no one, so a server left on the default does not send people to a stranger.
  CONTACT_TO_GET_NEW_KEY: envStr(DEFAULT_CONTACT),
  BASE_DIR: envStr("./annopage_data"),
  JOBS_DIR: envStr(),
  RESULTS_DIR: envStr(),
  ARTIFACTS_DIR: envStr(),
  ENGINES_DIR: envStr(),
  LOGGING_DIR: envStr(),
  /** Where files live: `local` (the *_DIR directories) or `s3` (an S3-compatible bucket; replicas on several machines). */
  STORAGE: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === "" ? "local" : v.trim().toLowerCase()))
    .pipe(z.enum(["local", "s3"], { error: "must be local or s3" })),
  S3_BUCKET: envStr(),
  S3_ENDPOINT: envStr().refine((v) => v === undefined || /^https?:\/\/[^/]/.test(v), "must be an http:// or https:// URL"),
  S3_REGION: envStr(),
  S3_ACCESS_KEY_ID: envStr(),
  S3_SECRET_ACCESS_KEY: envStr(),
  S3_PREFIX: envStr(""),
  DATABASE_URL: envStr().refine(
    (v) => v === undefined || /^postgres(ql)?(\+asyncpg)?:\/\//.test(v),
    "must be a postgres:// or postgresql:// URL",
  ),
  DATABASE_POOL_SIZE: envInt(DEFAULT_POOL_SIZE, 1, 1000),
  /** Migrate a database whose schema is older than this program; else the server refuses to start (docs/protocol.md §8). */
  DATABASE_ALLOW_UPDATE: envBool(false),
  /** Skip creating the database and every schema check (docs/protocol.md §8): the schema is taken as it is. */
  DATABASE_FORCE: envBool(false),
  JOB_TIMEOUT_SECONDS: envInt(300, 1),
  JOB_TIMEOUT_GRACE_SECONDS: envInt(10, 0),
  JOB_MAX_ATTEMPTS: envInt(3, 1),
  SWEEP_INTERVAL_SECONDS: envInt(5, 1, 3600),
  /** A long-polling lease call re-checks the queue at least this often, even without a wake-up (a lost NOTIFY, a lease timing out). */
  LEASE_RECHECK_MS: envInt(1000, 10, 60_000),
  MAX_UPLOAD_BYTES: envInt(4 * 1024 * 1024 * 1024, 1),
  /** Memory the upload checks may spend on decoded pixels at once (media/decode-budget.ts), in MiB. */
  IMAGE_CHECK_MEMORY_MB: envInt(1024, 1, 1 << 20),
  /** Staged upload files (`.part`) not written to for this long are removed (left by a crashed replica). */
  STAGING_MAX_AGE_SECONDS: envInt(3600, 1),
  KEY_CACHE_MS: envInt(2000, 0, 60_000),
  RESULT_ZIP_VALIDATION: envBool(true),
  ARTIFACTS_ZIP_VALIDATION: envBool(true),
  ENGINE_FILES_ZIP_VALIDATION: envBool(true),
  ALTO_VALIDATE_ROOT: envBool(true),
  ALTO_VALIDATE_NAMESPACE: envBool(false),
  ALTO_VALIDATE_HAS_LAYOUT: envBool(false),
  ALTO_VALIDATE_HAS_PAGE: envBool(false),
  ALTO_VALIDATE_HAS_TEXT: envBool(false),
  PAGE_VALIDATE_ROOT: envBool(true),
  PAGE_VALIDATE_NAMESPACE: envBool(false),
  PAGE_VALIDATE_HAS_PAGE: envBool(false),
  PAGE_VALIDATE_HAS_TEXT: envBool(false),
  /** Internal error mails (server/ops/error-mail.ts): unset server ⇒ no mails. */
  INTERNAL_MAIL_SERVER: envStr(),
  INTERNAL_MAIL_PORT: envInt(25, 1, 65535),
  INTERNAL_MAIL_SENDER_NAME: envStr(),
  INTERNAL_MAIL_SENDER_MAIL: envStr(),
  INTERNAL_MAIL_PASSWORD: envStr(),
  INTERNAL_MAIL_RECEIVER_MAILS: envList("user@mail.server.cz"),
  /** Mails per rolling hour; ≤ 0 ⇒ none. */
  INTERNAL_MAIL_FLOOD_LEVEL: envInt(10, Number.MIN_SAFE_INTEGER),
  METRICS_KEY: envStr(),
  LOGGING_CONSOLE_LEVEL: envStr("INFO"),
  LOGGING_FILE_LEVEL: envStr("INFO"),
  /** OpenAPI tags kept in /openapi.json. Default: the spec's `User, Worker, Admin` plus our `Health` section. */
  SHOW_SECTIONS: envList("User, Worker, Admin, Health"),
  SHOW_PUT_IMAGE: envBool(true),
  SHOW_PUT_ALTO: envBool(true),
  SHOW_PUT_PAGE: envBool(true),
  SHOW_PUT_METADATA: envBool(true),
  JOB_DEFINITION_SUMMARY: envStr(),
  JOB_DEFINITION_DESCRIPTION: envStr(),
  JOB_DEFINITION_EXAMPLES: envExamples(),
  META_JSON_SUMMARY: envStr(),
  META_JSON_DESCRIPTION: envStr(),
  META_JSON_EXAMPLES: envExamples(),
  RESULT_SUMMARY: envStr(),
  RESULT_DESCRIPTION: envStr(),
  RESULT_EXAMPLE: envStr(),
  /**
   * Our decision: the four well-known test keys of docs/protocol.md §1.5 are seeded only when asked for
   * (SEED_TEST_KEYS=true), never merely because PRODUCTION is unset — a fresh install must not
   * accept published keys. Running DocAPI's remote suite: set SEED_TEST_KEYS=true.
   */
  SEED_TEST_KEYS: envBool(false),
  TEST_ADMIN_KEY: envStr(),
  TEST_READONLY_KEY: envStr(),
  TEST_USER_KEY: envStr(),
  TEST_WORKER_KEY: envStr(),
  TEST_ADMIN_KEY_LABEL: envStr("test-admin"),
  TEST_READONLY_KEY_LABEL: envStr("test-readonly"),
  TEST_USER_KEY_LABEL: envStr("test-user"),
  TEST_WORKER_KEY_LABEL: envStr("test-worker"),
});

export interface InternalMailConfig {
  host: string;
  port: number;
  /** ADMIN_SERVER_NAME: the subject prefix. */
  adminServerName: string;
  senderName: string;
  /** Unset: no mails (one warning at start-up), as the reference's null handler. */
  senderMail?: string;
  /** Secret: never logged. Set: login as senderMail over STARTTLS. */
  password?: string;
  receivers: string[];
  /** At most this many mails per rolling hour; ≤ 0: none. */
  floodLevel: number;
}

export type StorageConfig =
  | { kind: "local" }
  | {
      kind: "s3";
      bucket: string;
      endpoint?: string;
      region?: string;
      /** Secrets: never logged. */
      accessKeyId?: string;
      secretAccessKey?: string;
      prefix: string;
    };

/** Flags of `annopage serve` that override the environment. */
export interface ServerFlags {
  host?: string;
  port?: string | number;
  baseDir?: string;
  databaseUrl?: string;
}

/** One of the well-known test keys of docs/protocol.md §1.5 (seeded with SEED_TEST_KEYS=true). */
interface TestKey {
  role: "admin" | "readonly" | "user" | "worker";
  key: string;
  label: string;
}

/** A problem found after the variables parsed one by one: reported like theirs (first issue → ConfigError). */
function invalid(ctx: z.RefinementCtx, variable: string, message: string): typeof z.NEVER {
  ctx.addIssue({ code: "custom", path: [variable], message });
  return z.NEVER;
}

/**
 * The server's configuration: EnvSchema's output turned into the fields the server reads (camelCase,
 * grouped, directories resolved). ServerConfig is this schema's output type: no second description.
 */
const ServerConfigSchema = EnvSchema.transform((e, ctx) => {
  const baseDir = resolve(e.BASE_DIR!);
  const dir = (v: string | undefined, sub: string) => resolve(v ?? join(baseDir, sub));
  const prefix = e.KEY_PREFIX;
  const testKey = (v: string | undefined, kid: string) => v ?? `${prefix}.${kid}.${kid.replace(/kid$/, "key")}`;
  const testKeys: TestKey[] = e.SEED_TEST_KEYS
    ? [
        { role: "admin", key: testKey(e.TEST_ADMIN_KEY, "testadminkid"), label: e.TEST_ADMIN_KEY_LABEL! },
        { role: "readonly", key: testKey(e.TEST_READONLY_KEY, "testreadonlykid"), label: e.TEST_READONLY_KEY_LABEL! },
        { role: "user", key: testKey(e.TEST_USER_KEY, "testuserkid"), label: e.TEST_USER_KEY_LABEL! },
        { role: "worker", key: testKey(e.TEST_WORKER_KEY, "testworkerkid"), label: e.TEST_WORKER_KEY_LABEL! },
      ]
    : [];
  for (const t of testKeys) {
    if (!KEY_RE.test(t.key)) return invalid(ctx, `TEST_${t.role.toUpperCase()}_KEY`, "must look like prefix.kid.secret");
  }
  if (e.STORAGE === "s3" && !e.S3_BUCKET) return invalid(ctx, "S3_BUCKET", "required when STORAGE=s3");
  const storage: StorageConfig =
    e.STORAGE === "s3"
      ? {
          kind: "s3",
          bucket: e.S3_BUCKET!,
          endpoint: e.S3_ENDPOINT,
          region: e.S3_REGION,
          accessKeyId: e.S3_ACCESS_KEY_ID,
          secretAccessKey: e.S3_SECRET_ACCESS_KEY,
          prefix: e.S3_PREFIX!,
        }
      : { kind: "local" };
  const host = e.APP_HOST!;
  return {
    host,
    port: e.APP_PORT,
    production: e.PRODUCTION,
    urlRoot: e.APP_URL_ROOT!,
    baseUrl: e.APP_BASE_URL ?? `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${e.APP_PORT}${e.APP_URL_ROOT}/`,
    keyPrefix: prefix,
    /** Explicit bootstrap admin key; undefined → generate one on first start (printed once). */
    adminKey: e.ADMIN_KEY,
    hmacSecret: e.HMAC_SECRET!,
    serverName: e.SERVER_NAME!,
    appVersion: e.APP_VERSION!,
    contact: e.CONTACT_TO_GET_NEW_KEY!,
    baseDir,
    jobsDir: dir(e.JOBS_DIR, "jobs"),
    resultsDir: dir(e.RESULTS_DIR, "results"),
    artifactsDir: dir(e.ARTIFACTS_DIR, "artifacts"),
    enginesDir: dir(e.ENGINES_DIR, "engines"),
    logsDir: dir(e.LOGGING_DIR, "logs"),
    /** `s3`: files in a bucket, staged locally under `{baseDir}/staging`; the *_DIR directories hold no files then. */
    storage,
    /** undefined → embedded PGlite under `{baseDir}/pgdata`. */
    databaseUrl: e.DATABASE_URL?.replace("+asyncpg", ""),
    databasePoolSize: e.DATABASE_POOL_SIZE,
    databaseAllowUpdate: e.DATABASE_ALLOW_UPDATE,
    databaseForce: e.DATABASE_FORCE,
    jobTimeoutSeconds: e.JOB_TIMEOUT_SECONDS,
    jobTimeoutGraceSeconds: e.JOB_TIMEOUT_GRACE_SECONDS,
    jobMaxAttempts: e.JOB_MAX_ATTEMPTS,
    sweepIntervalSeconds: e.SWEEP_INTERVAL_SECONDS,
    leaseRecheckMs: e.LEASE_RECHECK_MS,
    maxUploadBytes: e.MAX_UPLOAD_BYTES,
    /** STAGING_MAX_AGE_SECONDS: staged files idle this long are swept (storage/staging.ts). */
    stagingMaxAgeSeconds: e.STAGING_MAX_AGE_SECONDS,
    /** IMAGE_CHECK_MEMORY_MB in bytes: decoded pixels of the upload checks at once. */
    imageCheckMemoryBytes: e.IMAGE_CHECK_MEMORY_MB * 1024 * 1024,
    /** How long a verified key row is reused without a database lookup (0: never). */
    keyCacheMs: e.KEY_CACHE_MS,
    zipValidation: {
      result: e.RESULT_ZIP_VALIDATION,
      artifacts: e.ARTIFACTS_ZIP_VALIDATION,
      engineFiles: e.ENGINE_FILES_ZIP_VALIDATION,
    },
    altoChecks: {
      root: e.ALTO_VALIDATE_ROOT,
      namespace: e.ALTO_VALIDATE_NAMESPACE,
      hasLayout: e.ALTO_VALIDATE_HAS_LAYOUT,
      hasPage: e.ALTO_VALIDATE_HAS_PAGE,
      hasText: e.ALTO_VALIDATE_HAS_TEXT,
    },
    pageChecks: {
      root: e.PAGE_VALIDATE_ROOT,
      namespace: e.PAGE_VALIDATE_NAMESPACE,
      hasPage: e.PAGE_VALIDATE_HAS_PAGE,
      hasText: e.PAGE_VALIDATE_HAS_TEXT,
    },
    metricsKey: e.METRICS_KEY,
    /** INTERNAL_MAIL_*: undefined when INTERNAL_MAIL_SERVER is unset (no error mails). */
    internalMail:
      e.INTERNAL_MAIL_SERVER === undefined
        ? undefined
        : {
            host: e.INTERNAL_MAIL_SERVER,
            port: e.INTERNAL_MAIL_PORT,
            adminServerName: e.ADMIN_SERVER_NAME!,
            senderName: e.INTERNAL_MAIL_SENDER_NAME ?? e.ADMIN_SERVER_NAME!,
            senderMail: e.INTERNAL_MAIL_SENDER_MAIL,
            password: e.INTERNAL_MAIL_PASSWORD,
            receivers: e.INTERNAL_MAIL_RECEIVER_MAILS,
            floodLevel: e.INTERNAL_MAIL_FLOOD_LEVEL,
          },
    /** LOGGING_CONSOLE_LEVEL: DEBUG, INFO, WARNING, ERROR or CRITICAL. */
    logLevel: e.LOGGING_CONSOLE_LEVEL!,
    /** LOGGING_FILE_LEVEL for `{logsDir}/server.log`. */
    logFileLevel: e.LOGGING_FILE_LEVEL!,
    /** OpenAPI particulars (docs/protocol.md §4.1): unset texts/examples fall back to the built-in ones of server/docs/openapi.ts. */
    openapi: {
      sections: e.SHOW_SECTIONS,
      /** false: the upload route is left out of /openapi.json (it keeps working). */
      showPut: { image: e.SHOW_PUT_IMAGE, alto: e.SHOW_PUT_ALTO, page: e.SHOW_PUT_PAGE, metadata: e.SHOW_PUT_METADATA },
      jobDefinition: { summary: e.JOB_DEFINITION_SUMMARY, description: e.JOB_DEFINITION_DESCRIPTION, examples: e.JOB_DEFINITION_EXAMPLES },
      metaJson: { summary: e.META_JSON_SUMMARY, description: e.META_JSON_DESCRIPTION, examples: e.META_JSON_EXAMPLES },
      result: { summary: e.RESULT_SUMMARY, description: e.RESULT_DESCRIPTION, example: e.RESULT_EXAMPLE },
    },
    testKeys,
  };
});
export type ServerConfig = z.output<typeof ServerConfigSchema>;

export function loadServerConfig(env: Record<string, string | undefined> = process.env, flags: ServerFlags = {}): ServerConfig {
  const merged: Record<string, string | undefined> = { ...env };
  if (flags.host !== undefined) merged.APP_HOST = String(flags.host);
  if (flags.port !== undefined) merged.APP_PORT = String(flags.port);
  if (flags.baseDir !== undefined) merged.BASE_DIR = String(flags.baseDir);
  if (flags.databaseUrl !== undefined) merged.DATABASE_URL = String(flags.databaseUrl);

  const picked: Record<string, string | undefined> = {};
  for (const k of Object.keys(EnvSchema.shape)) picked[k] = merged[k];
  const parsed = ServerConfigSchema.safeParse(picked);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(String(issue.path[0] ?? "environment"), issue.message);
  }
  return parsed.data;
}
