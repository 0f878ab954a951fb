/**
 * Loaded before every test file (bunfig.toml `[test] preload`): Bun reads no timeout from bunfig, and its default
 * of 5 s per test is too short for the end-to-end tests on a loaded machine.
 */
import { setDefaultTimeout } from "bun:test";

setDefaultTimeout(120_000);
