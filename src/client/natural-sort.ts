/**
 * Natural ordering of file names (natsort's default semantics, as the reference client uses):
 * runs of digits compare as numbers, everything else as case-sensitive strings, so `page2` comes
 * before `page10`. Ties between equal numbers with different zero padding fall back to the plain
 * string order so that the sort is total and stable across platforms.
 */
const CHUNK = /(\d+)/;

function chunks(s: string): string[] {
  return s.split(CHUNK);
}

export function naturalCompare(a: string, b: string): number {
  const ca = chunks(a);
  const cb = chunks(b);
  const n = Math.min(ca.length, cb.length);
  for (let i = 0; i < n; i++) {
    const x = ca[i]!;
    const y = cb[i]!;
    if (x === y) continue;
    // split() with a capture group puts digit runs at odd indices.
    if (i % 2 === 1) {
      const dx = BigInt(x);
      const dy = BigInt(y);
      if (dx !== dy) return dx < dy ? -1 : 1;
      continue;
    }
    return x < y ? -1 : 1;
  }
  if (ca.length !== cb.length) return ca.length < cb.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function naturalSort(names: readonly string[]): string[] {
  return [...names].sort(naturalCompare);
}
