import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { predictSet } from "../../bench/detect-eval.ts";
import { SHARED } from "../helpers/shared.ts";

const SET = `${SHARED}/fixtures/pages`;
const out = mkdtempSync(join(tmpdir(), "detect-devset-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

test("dev set: the set's own scorer gives F1 ≥ 0.85 at IoU 0.5 and no detections on figure-free pages", async () => {
  expect(existsSync(join(SET, "score.ts"))).toBe(true);
  const preds = await predictSet(SET, out);
  expect(preds.length).toBe(readdirSync(join(SET, "images")).length);
  const { score } = (await import(join(SET, "score.ts"))) as {
    score: (
      gt: string,
      pred: string,
      thr?: number,
      perPage?: boolean,
      log?: (s: string) => void,
    ) => {
      f1: number;
      precision: number;
      recall: number;
      category_accuracy: number | null;
      fp_on_figure_free_pages: number;
      missing_pred_files: number;
    };
  };
  const r = score(SET, out, 0.5, false, () => {});
  console.log(`dev set: P ${r.precision} R ${r.recall} F1 ${r.f1} category accuracy ${r.category_accuracy}`);
  expect(r.missing_pred_files).toBe(0);
  expect(r.f1).toBeGreaterThanOrEqual(0.85);
  expect(r.fp_on_figure_free_pages).toBe(0);
  expect(r.category_accuracy ?? 0).toBeGreaterThanOrEqual(0.4);
}, 60_000);
