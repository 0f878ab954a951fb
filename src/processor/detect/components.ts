/** 8-connected component labelling of a binary mask (union–find over run-length segments) with box statistics. */

export interface Component {
  id: number;
  x1: number;
  y1: number;
  /** exclusive */
  x2: number;
  /** exclusive */
  y2: number;
  /** number of set pixels */
  area: number;
}

export interface Labelling {
  components: Component[];
  /** label per pixel: component index + 1, 0 for background */
  labels: Int32Array;
}

export function labelComponents(mask: Uint8Array, width: number, height: number): Labelling {
  // runs: start, end (exclusive), row, parent
  let cap = 1 << 16;
  let rs = new Int32Array(cap);
  let re = new Int32Array(cap);
  let ry = new Int32Array(cap);
  let n = 0;
  const rowStart = new Int32Array(height + 1);
  for (let y = 0; y < height; y++) {
    rowStart[y] = n;
    const row = y * width;
    let x = 0;
    while (x < width) {
      while (x < width && !mask[row + x]) x++;
      if (x >= width) break;
      const s = x;
      while (x < width && mask[row + x]) x++;
      if (n === cap) {
        cap *= 2;
        const a = new Int32Array(cap);
        a.set(rs);
        rs = a;
        const b = new Int32Array(cap);
        b.set(re);
        re = b;
        const c = new Int32Array(cap);
        c.set(ry);
        ry = c;
      }
      rs[n] = s;
      re[n] = x;
      ry[n] = y;
      n++;
    }
  }
  rowStart[height] = n;
  const parent = new Int32Array(n);
  for (let i = 0; i < n; i++) parent[i] = i;
  const find = (a: number): number => {
    while (parent[a] !== a) {
      parent[a] = parent[parent[a]!]!;
      a = parent[a]!;
    }
    return a;
  };
  for (let y = 1; y < height; y++) {
    let j = rowStart[y - 1]!;
    const jEnd = rowStart[y]!;
    for (let i = rowStart[y]!; i < rowStart[y + 1]!; i++) {
      // 8-connectivity: previous-row run overlaps [s-1, e+1)
      const s = rs[i]! - 1;
      const e = re[i]! + 1;
      while (j < jEnd && re[j]! <= s) j++;
      let k = j;
      while (k < jEnd && rs[k]! < e) {
        const a = find(i);
        const b = find(k);
        if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
        k++;
      }
    }
  }
  const compOf = new Int32Array(n).fill(-1);
  const components: Component[] = [];
  for (let i = 0; i < n; i++) {
    const r = find(i);
    let c = compOf[r]!;
    if (c < 0) {
      c = components.length;
      compOf[r] = c;
      components.push({ id: c, x1: rs[i]!, y1: ry[i]!, x2: re[i]!, y2: ry[i]! + 1, area: 0 });
    }
    compOf[i] = c;
    const comp = components[c]!;
    if (rs[i]! < comp.x1) comp.x1 = rs[i]!;
    if (re[i]! > comp.x2) comp.x2 = re[i]!;
    if (ry[i]! + 1 > comp.y2) comp.y2 = ry[i]! + 1;
    comp.area += re[i]! - rs[i]!;
  }
  const labels = new Int32Array(width * height);
  for (let i = 0; i < n; i++) {
    const lab = compOf[i]! + 1;
    labels.fill(lab, ry[i]! * width + rs[i]!, ry[i]! * width + re[i]!);
  }
  return { components, labels };
}
