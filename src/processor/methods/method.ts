/**
 * What a processing METHOD is (docs/processor.md §2.4): one module of this folder reads its config section into a spec
 * and runs that spec on every page; registry.ts lists the modules. Adding a METHOD = a new module + one registry line.
 */
import type { GreyImage, RgbaImage } from "../../media/index.ts";
import type { AliasTable } from "../config/aliases.ts";
import type { SectionReader } from "../config/section-reader.ts";
import type { IdServices, Layout } from "../layout.ts";
import type { Logger } from "../log.ts";
import type { Usage } from "../usage.ts";

/** What a section parser gets besides its section. */
export interface ParseContext {
  /** The METHOD value as it is handled (a deprecated name already replaced). */
  method: string;
  aliases: AliasTable;
  /** Start-up warnings (ignored keys, skipped sections). */
  warnings: string[];
}

/** One page as an engine sees it; engines change `layout` (and the image's crops, metadata) in place. */
export interface PageStep {
  layout: Layout;
  image: RgbaImage;
  /** The page in grey (computed once, on first use). */
  grey(): GreyImage;
  /** The metadata of this image (--input-metadata-path), or {}. */
  metadata: Record<string, unknown>;
  /** True when the page's text lines came from OCR (not from an input ALTO or PAGE XML). */
  fromOcr: boolean;
  ids: IdServices;
  log: Logger;
  /** Records LLM usage for the processing info (docs/processor.md §4.7): per engine name, per region. */
  addUsage(engine: string, used: Map<string, Usage>): void;
}

/** A spec: what one config section asks for; `kind` names its METHOD module, `name` is the section. */
export interface MethodSpec {
  kind: string;
  name: string;
}

export interface ProcessingMethod<S extends MethodSpec, M = undefined> {
  /** The METHOD values this module handles. */
  methods: readonly string[];
  /** Older METHOD values read as `methods[0]`, with a deprecation warning. */
  deprecated?: readonly string[];
  /** The `kind` of its specs. */
  kind: string;
  /** The spec of a section, or null when the section is skipped (with a warning in ctx.warnings). Throws ConfigFileError. */
  parse(r: SectionReader, ctx: ParseContext): S | null;
  /** Start-up notices (logged once per run, and listed in the processing info). */
  notices?(spec: S): string[];
  /** A model to open once per process before the first page, or null; a missing or malformed one fails the run. */
  open?(spec: S): Promise<M> | null;
  /** Runs the spec on one page; `model` is what `open` gave. */
  run?(spec: S, page: PageStep, model: M): Promise<void>;
}
