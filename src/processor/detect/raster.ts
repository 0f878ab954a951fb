/** Raster helpers for the analysis image: integer box downscaling and background normalisation. */

export interface Plane {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Analysis scale: an integer factor that brings the shorter page side to about 850 px (never upscales). */
export function analysisFactor(width: number, height: number): number {
  return Math.max(1, Math.round(Math.min(width, height) / 850));
}

/** Mean of each f×f block (the last partial blocks are averaged over what exists). */
export function downscale(src: Uint8Array, width: number, height: number, f: number): Plane {
  if (f === 1) return { width, height, data: src };
  const w = Math.ceil(width / f);
  const h = Math.ceil(height / f);
  const out = new Uint8Array(w * h);
  const sum = new Uint32Array(w);
  const fullW = Math.floor(width / f);
  for (let by = 0; by < h; by++) {
    sum.fill(0);
    const y0 = by * f;
    const y1 = Math.min(height, y0 + f);
    for (let y = y0; y < y1; y++) {
      const row = y * width;
      // whole blocks without per-pixel division
      for (let bx = 0, x = row; bx < fullW; bx++) {
        let s = 0;
        for (let k = 0; k < f; k++, x++) s += src[x]!;
        sum[bx]! += s;
      }
      for (let x = fullW * f; x < width; x++) sum[fullW]! += src[row + x]!;
    }
    const rows = y1 - y0;
    const full = rows * f;
    const last = rows * (width - fullW * f);
    const o = by * w;
    for (let bx = 0; bx < fullW; bx++) out[o + bx] = (sum[bx]! + (full >> 1)) / full;
    if (fullW < w) out[o + fullW] = (sum[fullW]! + (last >> 1)) / last;
  }
  return { width: w, height: h, data: out };
}

/**
 * Paper brightness at every pixel. Blocks of `block` px give their 85th-percentile grey; blocks far darker than a
 * smooth quadratic surface fitted robustly to all blocks (figures, photos, thick ink) are replaced by the surface,
 * the block map is smoothed and interpolated bilinearly. Handles uneven illumination and tinted paper.
 */
export function estimateBackground(p: Plane, block: number): Float32Array {
  const bw = Math.max(1, Math.ceil(p.width / block));
  const bh = Math.max(1, Math.ceil(p.height / block));
  const vals = new Float32Array(bw * bh);
  const hist = new Uint32Array(256);
  for (let by = 0; by < bh; by++)
    for (let bx = 0; bx < bw; bx++) {
      hist.fill(0);
      const x0 = bx * block;
      const y0 = by * block;
      const x1 = Math.min(p.width, x0 + block);
      const y1 = Math.min(p.height, y0 + block);
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) hist[p.data[y * p.width + x]!]!++;
      const n = (x1 - x0) * (y1 - y0);
      let acc = 0;
      let v = 255;
      for (; v > 0; v--) {
        acc += hist[v]!;
        if (acc >= n * 0.15) break;
      }
      vals[by * bw + bx] = v;
    }
  // robust quadratic fit: a + b x + c y + d x² + e xy + f y²
  const use = new Uint8Array(bw * bh).fill(1);
  let coef: Float64Array = new Float64Array(6);
  const feat = (bx: number, by: number, out: Float64Array) => {
    const x = bw > 1 ? (bx / (bw - 1)) * 2 - 1 : 0;
    const y = bh > 1 ? (by / (bh - 1)) * 2 - 1 : 0;
    out[0] = 1;
    out[1] = x;
    out[2] = y;
    out[3] = x * x;
    out[4] = x * y;
    out[5] = y * y;
  };
  const fv = new Float64Array(6);
  const fitAt = (bx: number, by: number) => {
    feat(bx, by, fv);
    let s = 0;
    for (let k = 0; k < 6; k++) s += coef[k]! * fv[k]!;
    return s;
  };
  // start from the global median of the block values
  const sorted = Float32Array.from(vals).sort();
  coef[0] = sorted[sorted.length >> 1]!;
  for (let iter = 0; iter < 4; iter++) {
    if (iter > 0) {
      for (let i = 0; i < bw * bh; i++) use[i] = vals[i]! >= fitAt(i % bw, (i / bw) | 0) - 14 ? 1 : 0;
    } else {
      for (let i = 0; i < bw * bh; i++) use[i] = vals[i]! >= coef[0]! - 30 ? 1 : 0;
    }
    const A = new Float64Array(36);
    const b = new Float64Array(6);
    let m = 0;
    for (let i = 0; i < bw * bh; i++) {
      if (!use[i]) continue;
      m++;
      feat(i % bw, (i / bw) | 0, fv);
      for (let r = 0; r < 6; r++) {
        b[r]! += fv[r]! * vals[i]!;
        for (let c = 0; c < 6; c++) A[r * 6 + c]! += fv[r]! * fv[c]!;
      }
    }
    if (m < 12) break;
    for (let r = 0; r < 6; r++) A[r * 6 + r]! += 1e-6 * m;
    const sol = solve6(A, b);
    if (sol) coef = sol;
  }
  const fixed = new Float32Array(bw * bh);
  for (let i = 0; i < bw * bh; i++) {
    const f = fitAt(i % bw, (i / bw) | 0);
    const v = vals[i]!;
    fixed[i] = v < f - 14 ? f : Math.min(v, f + 25);
  }
  // 3×3 mean smoothing of the block map
  const smooth = new Float32Array(bw * bh);
  for (let by = 0; by < bh; by++)
    for (let bx = 0; bx < bw; bx++) {
      let s = 0;
      let n = 0;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const x = bx + dx;
          const y = by + dy;
          if (x < 0 || y < 0 || x >= bw || y >= bh) continue;
          s += fixed[y * bw + x]!;
          n++;
        }
      smooth[by * bw + bx] = s / n;
    }
  // bilinear interpolation between block centres (per-column terms computed once)
  const bg = new Float32Array(p.width * p.height);
  const cx0 = new Int32Array(p.width);
  const cx1 = new Int32Array(p.width);
  const ctx = new Float32Array(p.width);
  for (let x = 0; x < p.width; x++) {
    const gx = Math.min(bw - 1, Math.max(0, (x + 0.5) / block - 0.5));
    cx0[x] = Math.floor(gx);
    cx1[x] = Math.min(bw - 1, cx0[x]! + 1);
    ctx[x] = gx - cx0[x]!;
  }
  for (let y = 0; y < p.height; y++) {
    const gy = Math.min(bh - 1, Math.max(0, (y + 0.5) / block - 0.5));
    const y0 = Math.floor(gy);
    const y1 = Math.min(bh - 1, y0 + 1);
    const ty = gy - y0;
    const r0 = y0 * bw;
    const r1 = y1 * bw;
    const row = y * p.width;
    for (let x = 0; x < p.width; x++) {
      const tx = ctx[x]!;
      const a0 = cx0[x]!;
      const a1 = cx1[x]!;
      const top = smooth[r0 + a0]! + (smooth[r0 + a1]! - smooth[r0 + a0]!) * tx;
      const bot = smooth[r1 + a0]! + (smooth[r1 + a1]! - smooth[r1 + a0]!) * tx;
      const v = top + (bot - top) * ty;
      bg[row + x] = Math.max(v, 1);
    }
  }
  return bg;
}

/** Gaussian elimination with partial pivoting for the 6×6 normal equations; null when singular. */
function solve6(A: Float64Array, b: Float64Array): Float64Array | null {
  const n = 6;
  const M = new Float64Array(n * (n + 1));
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) M[r * (n + 1) + c] = A[r * n + c]!;
    M[r * (n + 1) + n] = b[r]!;
  }
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r * (n + 1) + c]!) > Math.abs(M[piv * (n + 1) + c]!)) piv = r;
    if (Math.abs(M[piv * (n + 1) + c]!) < 1e-12) return null;
    if (piv !== c)
      for (let k = 0; k <= n; k++) {
        const t = M[c * (n + 1) + k]!;
        M[c * (n + 1) + k] = M[piv * (n + 1) + k]!;
        M[piv * (n + 1) + k] = t;
      }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r * (n + 1) + c]! / M[c * (n + 1) + c]!;
      if (f === 0) continue;
      for (let k = c; k <= n; k++) M[r * (n + 1) + k]! -= f * M[c * (n + 1) + k]!;
    }
  }
  const x = new Float64Array(n);
  for (let r = 0; r < n; r++) x[r] = M[r * (n + 1) + n]! / M[r * (n + 1) + r]!;
  return x;
}

/** Grey divided by background, scaled so that paper ≈ 255 and ink → 0 (clipped). */
export function normalise(p: Plane, bg: Float32Array): Uint8Array {
  const out = new Uint8Array(p.width * p.height);
  for (let i = 0; i < out.length; i++) {
    const v = (p.data[i]! * 255) / bg[i]!;
    out[i] = Math.min(v, 255);
  }
  return out;
}
