/**
 * A job's `engine_settings` (docs/protocol.md §9.6, docs/processor.md §7.2): `{"outputs": {...},
 * "image_captioning": {...}}`. The one description of its shape: the client checks a `--config`
 * file against EngineSettingsSchema, the worker reads the members named here. The server stores any
 * JSON object (JobDefinitionSchema.engine_settings), so what a worker gets is StoredEngineSettings.
 */
import { z } from "zod";

/** The `engine_settings.outputs` switches, one per processor output (docs/processor.md §7.2). */
export const OUTPUT_NAMES = ["alto", "embeddings", "embeddings_jsonlines", "renders", "crops", "image_captioning_prompts"] as const;
export type OutputName = (typeof OUTPUT_NAMES)[number];

export const OutputsSchema = z.strictObject(
  Object.fromEntries(OUTPUT_NAMES.map((n) => [n, z.boolean().optional()])) as Record<OutputName, z.ZodOptional<z.ZodBoolean>>,
);
export type Outputs = z.output<typeof OutputsSchema>;

/** Image-captioning overrides (docs/processor.md §7.3): free-form members (api, api_key, categories, prompt settings). */
export const ImageCaptioningSchema = z.record(z.string(), z.unknown());

export const EngineSettingsSchema = z.strictObject({
  outputs: OutputsSchema.optional(),
  image_captioning: ImageCaptioningSchema.optional(),
});
export type EngineSettings = z.output<typeof EngineSettingsSchema>;

/**
 * engine_settings as stored with a job: any JSON object, so a reader checks each member it uses
 * (the names are EngineSettings's; their values are not trusted to have its types).
 */
export type StoredEngineSettings = { [K in keyof EngineSettings]?: unknown } & Record<string, unknown>;
