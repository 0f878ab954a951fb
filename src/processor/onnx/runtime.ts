/**
 * onnxruntime-node, loaded on first use only (the default pipeline and `annopage --version` never
 * load its 48 MB native library).
 *
 * In the compiled executable (scripts/build.ts) both native files are EMBEDDED, so dist/annopage
 * stays one self-contained file: Bun embeds the `.node` addon that onnxruntime-node requires and
 * extracts it to a temporary file when it is loaded, but the addon finds libonnxruntime.so.1 only
 * beside itself (RUNPATH $ORIGIN). So before the addon is loaded, the embedded
 * libonnxruntime.so.1 is written once to a private per-user directory and dlopen()ed: the dynamic
 * linker then resolves the addon's dependency by its soname to that already loaded library.
 * From source (bun src/cli.ts) the addon finds the library in node_modules as usual.
 */
import embeddedLib from "onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1" with { type: "file" };
import { lstatSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OnnxModelError } from "./errors.ts";
import { writeFileAtomicSync } from "../../shared/atomic-write.ts";

export type Ort = typeof import("onnxruntime-node");

let loading: Promise<Ort> | undefined;
/** Kept referenced for the life of the process, so the preloaded library is never unloaded. */
// biome-ignore lint/correctness/noUnusedVariables: written, never read: the reference itself is what keeps the library loaded
let preloaded: unknown;

export function loadOrt(): Promise<Ort> {
  loading ??= (async () => {
    try {
      if (embeddedLib.startsWith("/$bunfs/")) await preloadEmbeddedLibrary();
      const ort = await import("onnxruntime-node");
      ort.env.logLevel = "error";
      return ort;
    } catch (e) {
      throw new OnnxModelError(`the ONNX runtime (onnxruntime-node) cannot be loaded: ${(e as Error).message.split("\n")[0]}`);
    }
  })();
  return loading;
}

async function preloadEmbeddedLibrary(): Promise<void> {
  if (process.platform !== "linux" || process.arch !== "x64")
    throw new Error(`this executable embeds the linux-x64 ONNX runtime; it cannot run on ${process.platform}-${process.arch}`);
  const bytes = readFileSync(embeddedLib);
  const dir = privateDir();
  const target = join(dir, `libonnxruntime-${bytes.length}.so.1`);
  let present = false;
  try {
    present = statSync(target).size === bytes.length;
  } catch {
    present = false;
  }
  if (!present) {
    writeFileAtomicSync(target, bytes, 0o600); // parallel page processes never load a half-written file
  }
  const { dlopen } = await import("bun:ffi");
  preloaded = dlopen(target, { OrtGetApiBase: { args: [], returns: "ptr" } });
}

/** `<tmp>/annopage-<uid>`: created 0700, and refused unless it is ours and nobody else can write to it. */
function privateDir(): string {
  const uid = process.getuid?.() ?? 0;
  const dir = process.env.ANNOPAGE_RUNTIME_DIR || join(tmpdir(), `annopage-${uid}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o022) !== 0) {
    throw new Error(
      `'${dir}' (where the ONNX runtime library is unpacked) must be a directory owned by this user and writable by nobody else; set ANNOPAGE_RUNTIME_DIR to another one`,
    );
  }
  return dir;
}
