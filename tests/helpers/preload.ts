/**
 * Loaded before every test file (bunfig.toml `[test] preload`): Bun reads no timeout from bunfig, and its default
 * of 5 s per test and hook is too short for the end-to-end tests on a loaded machine. Bun 1.4.4 keeps this default
 * for one file, or for every file with --parallel or --isolate (as `npm test` runs them), but for the first file only
 * of a plain `bun test a b`: give that one --timeout=120000.
 */
import { setDefaultTimeout } from "bun:test";

setDefaultTimeout(120_000);
