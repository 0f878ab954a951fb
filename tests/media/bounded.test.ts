/**
 * Upload checks in bounded memory (media/png-check.ts, media/decode-budget.ts): a PNG is checked from its header and
 * a streamed inflate, never decoded — a 190 KB 14000×14000 pixel bomb is accepted without holding its pixels, one
 * over the pixel limit is refused from its header — while the checks that do decode (WebP, BMP, GIF, TIFF) wait for
 * room in a memory budget and are refused (IMAGE_TOO_LARGE) when they alone exceed it. Over HTTP: 201 for the bomb,
 * 415 IMAGE_INVALID with the reason for an image beyond the server's budget. (Memory and /healthz latency while
 * bombs are checked: bench/pixel-bomb.ts.)
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as UTIF from "utif2";
import { DecodeBudget } from "../../src/media/decode-budget.ts";
import { ThreadCall } from "../../src/shared/thread-call.ts";
import { ImageError, probeImage } from "../../src/media/index.ts";
import { filteredSize, greyPng, ihdr, pngFromChunks, type PngChunk } from "../helpers/png-parts.ts";
import { deflateSync } from "node:zlib";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { client } from "../helpers/http.ts";
import { makeKey } from "../helpers/keys.ts";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "annopage-media-bounded-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** "ok W×H" or the error's code and message. */
async function verdict(p: Promise<{ width: number; height: number }>): Promise<string> {
  try {
    const r = await p;
    return `ok ${r.width}×${r.height}`;
  } catch (e) {
    expect(e).toBeInstanceOf(ImageError);
    return `${(e as ImageError).code}: ${(e as Error).message}`;
  }
}

/** The verdict of the decoder the processor uses (Bun.Image's libpng), for cross-checks. */
async function decoderVerdict(png: Uint8Array): Promise<string> {
  try {
    const img = new Bun.Image(png);
    const meta = await img.metadata();
    await new Bun.Image(png).png().bytes();
    return `ok ${meta.width}×${meta.height}`;
  } catch {
    return "refused";
  }
}

const idat = (raw: Uint8Array): PngChunk => ["IDAT", new Uint8Array(deflateSync(raw))];
const iend: PngChunk = ["IEND", new Uint8Array(0)];

describe("PNG: checked from the header and a streamed inflate", () => {
  test("a 14000×14000 pixel bomb (~190 KB) is accepted, from bytes and from a file; over the pixel limit it is refused from its header", async () => {
    const bomb = greyPng(14000, 14000);
    expect(bomb.length).toBeLessThan(250_000);
    const path = join(dir, "bomb.png");
    writeFileSync(path, bomb);
    expect(await verdict(probeImage(bomb))).toBe("ok 14000×14000");
    expect(await probeImage(path)).toEqual({ format: "png", width: 14000, height: 14000 });
    // 20000×20000 with a few bytes of image data: the header alone refuses it (the data would be "too short")
    const huge = pngFromChunks([ihdr(20000, 20000), idat(new Uint8Array(100)), iend]);
    expect(await verdict(probeImage(huge))).toBe("IMAGE_TOO_LARGE: image is 20000×20000, more than 200000000 pixels");
    // the bomb one byte short of its last row
    const short = greyPng(14000, 14000, { raw: new Uint8Array(filteredSize(14000, 14000, 8) - 1) });
    expect(await verdict(probeImage(short))).toBe("IMAGE_CORRUPT: PNG image data is shorter than the image");
  });

  test("Adam7 interlacing, row filters, surplus data, chunk order, palettes, depths and checksums as libpng reads them", async () => {
    const size = filteredSize(33, 17, 8, 1);
    const interlaced = greyPng(33, 17, { interlace: 1 });
    expect([await verdict(probeImage(interlaced)), await decoderVerdict(interlaced)]).toEqual(["ok 33×17", "ok 33×17"]);
    expect(await verdict(probeImage(greyPng(33, 17, { interlace: 1, raw: new Uint8Array(size - 1) })))).toBe(
      "IMAGE_CORRUPT: PNG image data is shorter than the image",
    );
    // filter type 5 at the start of the third row (rows are 1 + 33 bytes)
    const badFilter = new Uint8Array(filteredSize(33, 17, 8));
    badFilter[2 * 34] = 5;
    expect(await verdict(probeImage(greyPng(33, 17, { raw: badFilter })))).toBe("IMAGE_CORRUPT: PNG has an invalid row filter type 5");
    // more image data than rows: decoders read what they need and stop, so does the check
    const surplus = greyPng(33, 17, { raw: new Uint8Array(filteredSize(33, 17, 8) + 5000) });
    expect([await verdict(probeImage(surplus)), await decoderVerdict(surplus)]).toEqual(["ok 33×17", "ok 33×17"]);

    const raw = new Uint8Array(filteredSize(33, 17, 8));
    const half = new Uint8Array(deflateSync(raw));
    const cases: [string, PngChunk[], string][] = [
      [
        "unknown critical chunk",
        [ihdr(33, 17), idat(raw), ["ABCD", new Uint8Array(4)], iend],
        "IMAGE_CORRUPT: PNG has an unknown critical chunk ABCD",
      ],
      ["unknown ancillary chunk", [ihdr(33, 17), ["abCD", new Uint8Array(4)], idat(raw), iend], "ok 33×17"],
      [
        "IDAT split by another chunk",
        [ihdr(33, 17), ["IDAT", half.subarray(0, 10)], ["tEXt", new TextEncoder().encode("a\0b")], ["IDAT", half.subarray(10)], iend],
        "IMAGE_CORRUPT: PNG image data is not in consecutive IDAT chunks",
      ],
      ["IDAT split in two", [ihdr(33, 17), ["IDAT", half.subarray(0, 10)], ["IDAT", half.subarray(10)], iend], "ok 33×17"],
      ["palette image without PLTE", [ihdr(33, 17, 3, 8), idat(raw), iend], "IMAGE_CORRUPT: PNG has no palette"],
      ["palette image with PLTE", [ihdr(33, 17, 3, 8), ["PLTE", new Uint8Array([0, 0, 0, 255, 255, 255])], idat(raw), iend], "ok 33×17"],
      ["RGB at 4 bits", [ihdr(33, 17, 2, 4), idat(raw), iend], "IMAGE_CORRUPT: PNG has an invalid bit depth 4 for colour type 2"],
      ["IDAT before IHDR", [idat(raw), ihdr(33, 17), iend], "IMAGE_CORRUPT: PNG does not start with its IHDR chunk"],
      ["no IEND", [ihdr(33, 17), idat(raw)], "IMAGE_CORRUPT: PNG is truncated (no IEND chunk)"],
    ];
    for (const [name, chunks, expected] of cases)
      expect([name, await verdict(probeImage(pngFromChunks(chunks)))]).toEqual([name, expected]);
    const badCrc = greyPng(33, 17);
    badCrc[badCrc.length - 20]! ^= 1; // inside the IDAT data
    expect(await verdict(probeImage(badCrc))).toBe("IMAGE_CORRUPT: PNG chunk IDAT has a bad checksum");
  });
});

/** A budget that records how many checks ran inside it at once. */
class WatchedBudget extends DecodeBudget {
  running = 0;
  most = 0;
  override run<T>(bytes: number, what: string, check: () => Promise<T> | T): Promise<T> {
    return super.run(bytes, what, async () => {
      this.most = Math.max(this.most, ++this.running);
      try {
        return await check();
      } finally {
        this.running--;
      }
    });
  }
}

describe("checks that decode share a memory budget", () => {
  test("WebP checks wait for room (one or two at a time as the budget allows); an image needing more than all of it is refused", async () => {
    const webp = await new Bun.Image(greyPng(400, 400)).webp().bytes(); // 640 000 bytes of RGBA
    for (const [capacity, most] of [
      [640_000, 1],
      [1_300_000, 2],
    ] as const) {
      const budget = new WatchedBudget(capacity);
      const results = await Promise.all(Array.from({ length: 5 }, () => probeImage(webp, { budget })));
      expect(results).toEqual(Array.from({ length: 5 }, () => ({ format: "webp", width: 400, height: 400 })));
      expect([budget.most, budget.inUse]).toEqual([most, 0]);
    }
    const budget = new WatchedBudget(1024 * 1024);
    const bigWebp = await new Bun.Image(greyPng(600, 600)).webp().bytes();
    expect(await verdict(probeImage(bigWebp, { budget }))).toBe(
      "IMAGE_TOO_LARGE: a 600×600 WEBP needs 2 MB to be checked, more than the 1 MB this server allows",
    );
    const tiff = new Uint8Array(UTIF.encodeImage(new Uint8Array(600 * 600 * 4), 600, 600));
    expect(await verdict(probeImage(tiff, { budget }))).toBe(
      "IMAGE_TOO_LARGE: a 600×600 TIFF needs 3 MB to be checked, more than the 1 MB this server allows",
    );
    expect(budget.most).toBe(0); // refused before anything was decoded
    // the PNG bomb needs no budget at all
    expect(await verdict(probeImage(greyPng(14000, 14000), { budget }))).toBe("ok 14000×14000");
  });
});

/** A one-strip 8-bit grey TIFF whose strip is `strip` compressed with `compression` (1 none, 8 Deflate), `count` bytes long by its header. */
function greyTiff(w: number, h: number, strip: Uint8Array, compression: number, count = strip.length): Uint8Array {
  const entries: [number, number, number][] = [
    [256, 4, w],
    [257, 4, h],
    [258, 3, 8],
    [259, 3, compression],
    [262, 3, 1],
    [273, 4, 0],
    [277, 3, 1],
    [278, 4, h],
    [279, 4, count],
  ];
  const dataAt = 8 + 2 + entries.length * 12 + 4;
  const out = new Uint8Array(dataAt + strip.length);
  const dv = new DataView(out.buffer);
  out.set([0x49, 0x49, 42, 0]);
  dv.setUint32(4, 8, true);
  dv.setUint16(8, entries.length, true);
  entries.forEach(([t, type, v], i) => {
    const e = 10 + i * 12;
    dv.setUint16(e, t, true);
    dv.setUint16(e + 2, type, true);
    dv.setUint32(e + 4, 1, true);
    const value = t === 273 ? dataAt : v;
    if (type === 3) dv.setUint16(e + 8, value, true);
    else dv.setUint32(e + 8, value, true);
  });
  out.set(strip, dataAt);
  return out;
}

describe("TIFF: decoded on a worker thread", () => {
  test("a Deflate TIFF bomb's size comes back from the worker; a strip utif2 decodes for ever is refused after the time bound, and the next TIFF is checked", async () => {
    const bomb = greyTiff(3000, 3000, new Uint8Array(deflateSync(new Uint8Array(3000 * 3000), { level: 9 })), 8);
    expect(bomb.length).toBeLessThan(20_000);
    expect(await probeImage(bomb, { budget: new DecodeBudget(1 << 30) })).toEqual({ format: "tiff", width: 3000, height: 3000 });
    const endless = greyTiff(300, 300, new Uint8Array(500).fill(0xff), 5); // LZW codes utif2 never gets out of
    const budget = new DecodeBudget(1 << 30);
    expect(await verdict(probeImage(endless, { budget, tiffTimeoutMs: 1000 }))).toBe("IMAGE_CORRUPT: TIFF could not be decoded within 1 s");
    expect(budget.inUse).toBe(0);
    expect(await probeImage(bomb, { budget })).toEqual({ format: "tiff", width: 3000, height: 3000 });
  });

  test("ThreadCall: answers in order from the worker; a worker whose script cannot load answers undefined, now and later", async () => {
    const echo = new ThreadCall<{ n: number }, { twice: number }>(
      () =>
        new Worker(
          URL.createObjectURL(
            new Blob(["self.onmessage = (e) => postMessage({ id: e.data.id, twice: e.data.n * 2 });"], { type: "application/javascript" }),
          ),
        ),
    );
    expect(await Promise.all([1, 2, 3].map((n) => echo.call({ n })))).toEqual([
      { id: 0, twice: 2 },
      { id: 1, twice: 4 },
      { id: 2, twice: 6 },
    ] as never);
    const broken = new ThreadCall<{ n: number }, { twice: number }>(
      () => new Worker(URL.createObjectURL(new Blob(["this is not ( javascript"], { type: "application/javascript" }))),
    );
    expect(await broken.call({ n: 1 })).toBeUndefined();
    expect(await broken.call({ n: 2 })).toBeUndefined();
  });
});

describe("over HTTP", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ env: { IMAGE_CHECK_MEMORY_MB: "1" } });
  });
  afterAll(async () => {
    await s?.close();
  });

  test("the PNG bomb → 201; a WebP beyond IMAGE_CHECK_MEMORY_MB → 415 IMAGE_INVALID naming the budget; a cut-off bomb → 415", async () => {
    const u = client(s, (await makeKey(s, "user")).key);
    const job = await u("POST", "/v1/jobs", {
      json: { images: ["bomb.png", "big.webp", "cut.png"].map((name, order) => ({ name, order })) },
    });
    expect(job.status).toBe(201);
    const put = (name: string, file: Uint8Array) =>
      u("PUT", `/v1/jobs/${job.body.data.id}/images/${name}/files/image`, { file, fileName: name });
    const bomb = greyPng(14000, 14000);
    const ok = await put("bomb.png", bomb);
    expect([ok.status, ok.body.code]).toEqual([201, "IMAGE_UPLOADED"]);
    const big = await put("big.webp", await new Bun.Image(greyPng(600, 600)).webp().bytes());
    expect([big.status, big.body.code, big.body.details.reason]).toEqual([
      415,
      "IMAGE_INVALID",
      "a 600×600 WEBP needs 2 MB to be checked, more than the 1 MB this server allows",
    ]);
    const cut = await put("cut.png", bomb.subarray(0, bomb.length - 40));
    expect([cut.status, cut.body.code, cut.body.details.reason]).toEqual([415, "IMAGE_INVALID", expect.stringContaining("truncated")]);
  });
});
