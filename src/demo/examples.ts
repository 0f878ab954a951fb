/**
 * The sample pages of `examples/`, embedded so that the compiled binary can run the demo from any
 * directory. From a checkout the folder itself is used.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import p002 from "../../examples/images/page_002.jpg" with { type: "file" };
import p003 from "../../examples/images/page_003.jpg" with { type: "file" };
import p005 from "../../examples/images/page_005.jpg" with { type: "file" };
import p007 from "../../examples/images/page_007.jpg" with { type: "file" };
import metadata from "../../examples/metadata.json" with { type: "file" };
import config from "../../examples/config.json" with { type: "file" };

const EMBEDDED: Record<string, string> = {
  "images/page_002.jpg": p002,
  "images/page_003.jpg": p003,
  "images/page_005.jpg": p005,
  "images/page_007.jpg": p007,
  "metadata.json": metadata as unknown as string,
  "config.json": config as unknown as string,
};

/** A directory with `images/`, `metadata.json` and `config.json`: the given one, ./examples, or a copy of the embedded set. */
export async function examplesDir(given: string | undefined, scratch: string): Promise<string> {
  if (given) return resolve(given);
  const local = resolve("examples");
  if (existsSync(join(local, "images"))) return local;
  const dir = join(scratch, "examples");
  mkdirSync(join(dir, "images"), { recursive: true });
  for (const [name, path] of Object.entries(EMBEDDED)) {
    await Bun.write(join(dir, name), Bun.file(path));
  }
  return dir;
}
