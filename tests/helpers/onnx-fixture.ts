/** The ONNX tests' page and detection head (tests/processor/onnx.test.ts, tests/processor/binary.test.ts). */
import { createCanvas } from "@napi-rs/canvas";

/**
 * The head, in the coordinates of a 64×64 letterbox of a 256×128 page (gain 0.25, 16 px grey above
 * and below): page x = 4·x, page y = 4·(y − 16). Rows cx, cy, w, h, then scores of classes 0, 1, 2.
 */
export const HEAD = [
  // a0 photo     a1 shifted photo  a2 same box, map  a3 weak   a4 past the right/bottom edges
  [32, 33, 33, 10, 60],
  [32, 32, 32, 40, 44],
  [32, 32, 32, 8, 16],
  [16, 16, 16, 8, 8],
  [0.9, 0.8, 0.05, 0.1, 0.01],
  [0.01, 0.02, 0.85, 0.15, 0.02],
  [0.01, 0.01, 0.01, 0.19, 0.5],
];
export const NAMES = "{0: 'Photograph', 1: 'Map', 2: 'Image'}";

/** 256×128 white PNG (lossless: the embedding test needs exact colours); the box (64,32)-(192,96) yellow | red. */
export function page(): Buffer {
  const c = createCanvas(256, 128);
  const ctx = c.getContext("2d");
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, 256, 128);
  ctx.fillStyle = "#ffff00";
  ctx.fillRect(64, 32, 64, 64);
  ctx.fillStyle = "#ff0000";
  ctx.fillRect(128, 32, 64, 64);
  return c.encodeSync("png");
}

export interface Block {
  type: string;
  hpos: number;
  vpos: number;
  width: number;
  height: number;
  tag: string;
}

export function blocks(alto: string): Block[] {
  return [
    ...alto.matchAll(/<ComposedBlock ID="[^"]*" TYPE="([^"]*)" HEIGHT="(\d+)" WIDTH="(\d+)" VPOS="(\d+)" HPOS="(\d+)" TAGREFS="([^"]*)"/g),
  ].map((m) => ({
    type: m[1]!,
    height: Number(m[2]),
    width: Number(m[3]),
    vpos: Number(m[4]),
    hpos: Number(m[5]),
    tag: m[6]!,
  }));
}
