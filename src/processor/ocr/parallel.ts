/**
 * OCR of one page on several threads: Tesseract's layout analysis finds the text blocks on this thread, the blocks
 * are shared out by area over this thread and `threads - 1` worker threads (ocr-worker.ts), each recognising its
 * blocks as uniform text, and the regions come back in the layout's reading order. Cuts are only ever between
 * Tesseract's own text blocks, never through a line or a figure; the result does not depend on the thread count.
 * A page whose text is mostly one block (a single column) is read whole: sharing would gain nothing.
 * A worker thread that cannot be started or fails leaves its blocks to this thread.
 */
import { ThreadCall } from "../../shared/thread-call.ts";
import type { GreyImage } from "../../media/index.ts";
import type { TextRegion } from "../layout.ts";
import { OcrEngine, toRegions, type Block, type Box, type OcrModels } from "./tesseract.ts";
import type { OcrThreadAnswer, OcrThreadRequest } from "./ocr-worker.ts";
import { ocrScale, scaleRegions, shrinkGrey } from "./scale.ts";

/**
 * The worker's script: next to this file, or in the compiled binary the extra entry point scripts/build.ts adds,
 * named relative to src/ (there every module's import.meta.url is the binary's).
 */
const WORKER_URL = new URL(import.meta.url.includes("/$bunfs/") ? "./processor/ocr/ocr-worker.ts" : "./ocr-worker.ts", import.meta.url)
  .href;

/** Reads pages with one engine on this thread and, when `threads` > 1, worker threads beside it. */
export class PageOcr {
  private readonly helpers: ThreadCall<OcrThreadRequest, OcrThreadAnswer>[];

  private constructor(
    private readonly engine: OcrEngine,
    threads: number,
  ) {
    this.helpers = Array.from(
      { length: Math.max(0, threads - 1) },
      () => new ThreadCall<OcrThreadRequest, OcrThreadAnswer>(() => new Worker(WORKER_URL)),
    );
  }

  static async create(settings: OcrModels, threads: number): Promise<PageOcr> {
    return new PageOcr(await OcrEngine.create(settings), threads);
  }

  get software() {
    return this.engine.software;
  }

  /** How the last page was read: its text blocks, and how many of them worker threads read. */
  lastPage = { threads: 1, blocks: 0, onWorkers: 0 };

  /** Text regions of the page, in page pixels; a large page is read shrunk (scale.ts). */
  async recognize(page: GreyImage): Promise<TextRegion[]> {
    const f = ocrScale(page.width, page.height);
    if (f === 1) return this.read(page);
    const small = shrinkGrey(page, Math.round(page.width * f), Math.round(page.height * f));
    const regions = await this.read(small);
    return scaleRegions(regions, page.width / small.width, page.height / small.height, page.width, page.height);
  }

  /** Text regions of an image: the whole image at once on one thread, else its text blocks shared out. */
  private async read(grey: GreyImage): Promise<TextRegion[]> {
    if (this.helpers.length === 0) {
      this.lastPage = { threads: 1, blocks: 0, onWorkers: 0 };
      return this.engine.recognize(grey);
    }
    const boxes = this.engine.textBlocks(grey);
    if (!worthSharing(boxes)) {
      this.lastPage = { threads: this.helpers.length + 1, blocks: boxes.length, onWorkers: 0 };
      return this.engine.recognize(grey);
    }
    const shares = shareOut(boxes, this.helpers.length + 1);
    const settings = this.engine.settings;
    const asked = this.helpers.map((h, i) =>
      shares[i + 1]!.length
        ? h.call({ settings, page: grey, boxes: shares[i + 1]!.map((j) => boxes[j]!) })
        : Promise.resolve({ perBox: [] }),
    );
    const byBox = new Map<number, Block[]>();
    let onWorkers = 0;
    const mine = shares[0]!;
    for (const j of mine) byBox.set(j, this.engine.recognizeBlocks(grey, [boxes[j]!]));
    for (const [i, answer] of (await Promise.all(asked)).entries()) {
      const share = shares[i + 1]!;
      const perBox = answer?.perBox;
      if (perBox && perBox.length === share.length) {
        for (const [k, j] of share.entries()) byBox.set(j, perBox[k]!);
        onWorkers += share.length;
      } else for (const j of share) byBox.set(j, this.engine.recognizeBlocks(grey, [boxes[j]!]));
    }
    this.lastPage = { threads: this.helpers.length + 1, blocks: boxes.length, onWorkers };
    return toRegions(boxes.flatMap((_, j) => byBox.get(j) ?? []));
  }
}

const area = ([x1, y1, x2, y2]: Box) => (x2 - x1) * (y2 - y1);

/** Sharing pays when there are two blocks or more and no one block holds three quarters of the text area. */
export function worthSharing(boxes: readonly Box[]): boolean {
  const total = boxes.reduce((a, b) => a + area(b), 0);
  return boxes.length >= 2 && Math.max(...boxes.map(area)) <= 0.75 * total;
}

/** Box indexes shared out over `n` threads, largest area first onto the least loaded (share 0 is this thread's). */
export function shareOut(boxes: readonly Box[], n: number): number[][] {
  const shares: number[][] = Array.from({ length: n }, () => []);
  const load = new Array<number>(n).fill(0);
  for (const j of boxes.map((_, j) => j).sort((a, b) => area(boxes[b]!) - area(boxes[a]!))) {
    const t = load.indexOf(Math.min(...load));
    shares[t]!.push(j);
    load[t]! += area(boxes[j]!);
  }
  for (const s of shares) s.sort((a, b) => a - b);
  return shares;
}
