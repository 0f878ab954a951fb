/**
 * The marker structure of a JPEG file, walked from start to end-of-image the way libjpeg reads it, refusing what
 * libjpeg refuses. libjpeg stops with an error only on marker segments (frame and scan headers, tables, unknown
 * markers); damage inside the entropy-coded data is a warning after which it decodes on (skia does, and so does
 * OpenCV, the reference server's decoder). So the upload check (probeImage) needs no pixel decode for a JPEG: this
 * walk checks every segment, the decoder reads the header, and the entropy-coded data is only scanned for the next
 * marker. The conditions follow libjpeg-turbo's jdmarker.c, jdinput.c, jdhuff.c and jdphuff.c; the comments name
 * their error codes. ~0.1 ms for a 340 KB page, where entropy-decoding it takes ~4.5 ms.
 */

interface Component {
  quantTable: number;
  /** H × V: this component's blocks in an interleaved MCU. */
  blocks: number;
  /** Its quantisation table was taken (latched) at its first scan. */
  latched: boolean;
}

type Coding = "sequential" | "progressive" | "lossless" | "arithmetic";

interface Frame {
  coding: Coding;
  components: Map<number, Component>;
  /** Set at the first scan: whether more scans may follow (has_multiple_scans). */
  multipleScans: boolean;
}

/** Per Huffman table: undefined = never defined, null = usable, else why it is not. */
type TableState = string | null | undefined;

/** The one table problem that matters only where the table decodes DC differences (their symbols are ≤ 15). */
const DC_SYMBOL = "DC symbol over 15";

const u16 = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!;

/**
 * Why a Huffman table cannot be used (jpeg_make_d_derived_tbl), or null: from its shortest code length on, the codes
 * of each length must leave the all-ones code free (JERR_BAD_HUFF_TABLE).
 */
function huffmanTableProblem(b: Uint8Array, countsAt: number, symbolsAt: number, symbols: number): string | null {
  let last = 0;
  for (let l = 1; l <= 16; l++) if (b[countsAt + l - 1]! > 0) last = l;
  let code = 0;
  let started = false;
  for (let l = 1; l <= last; l++) {
    const n = b[countsAt + l - 1]!;
    started ||= n > 0;
    if (!started) continue;
    code += n;
    if (code >= 1 << l) return "JPEG Huffman table has more codes than fit";
    code <<= 1;
  }
  for (let i = 0; i < symbols; i++) if (b[symbolsAt + i]! > 15) return DC_SYMBOL;
  return null;
}

/** A table used for AC coefficients: it must exist and its codes must fit (JERR_NO_HUFF_TABLE, JERR_BAD_HUFF_TABLE). */
function acTableProblem(t: TableState): string | null {
  if (t === undefined) return "JPEG scan uses a Huffman table that was never defined";
  return t === DC_SYMBOL ? null : t;
}

/** A table used for DC differences: as for AC, and every symbol at most 15. */
function dcTableProblem(t: TableState): string | null {
  return t === DC_SYMBOL ? "JPEG DC Huffman table has a symbol over 15" : acTableProblem(t);
}

/** Index of the marker code after the entropy-coded data that starts at `from` (FF 00 and RSTn are data), or -1. */
function endOfEntropyData(b: Buffer, from: number): number {
  for (let at = from; ; ) {
    at = b.indexOf(0xff, at);
    if (at < 0 || at + 1 >= b.length) return -1;
    const next = b[at + 1]!;
    if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) at += 2;
    else if (next === 0xff)
      at += 1; // fill byte
    else return at + 1;
  }
}

/**
 * next_marker(): bytes before a marker are skipped (a warning), then any FF fill bytes; FF 00 outside a scan is
 * skipped too. Returns the marker code and the index after it, or null at the end of the bytes.
 */
function nextMarker(b: Buffer, from: number): { marker: number; at: number } | null {
  let at = from;
  for (;;) {
    at = b.indexOf(0xff, at);
    if (at < 0) return null;
    while (at < b.length && b[at] === 0xff) at++;
    if (at >= b.length) return null;
    if (b[at] !== 0x00) return { marker: b[at]!, at: at + 1 };
    at++;
  }
}

/**
 * Frame kinds libjpeg-turbo decodes: baseline, extended and progressive with Huffman or arithmetic coding, and (since
 * 3.0, skia's) lossless with Huffman coding; not the hierarchical ones (SOF5–7, SOF13–15) nor lossless arithmetic.
 */
const DECODED_PROCESSES = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc9, 0xca]);
const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
const codingOf = (m: number): Coding =>
  m >= 0xc9 ? "arithmetic" : m === 0xc3 || m === 0xc7 ? "lossless" : m === 0xc2 || m === 0xc6 ? "progressive" : "sequential";

/** Returns why libjpeg would refuse the file's marker structure, or null when it decodes it. */
export function jpegStructureProblem(bytes: Uint8Array): string | null {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return "JPEG does not start with a start-of-image marker";
  let frame: Frame | null = null;
  const quantDefined = [false, false, false, false];
  const huffman: TableState[][] = [[], []]; // [DC, AC][index]
  let scans = 0;
  let at = 2;
  for (;;) {
    const found = nextMarker(b, at);
    if (!found) return "JPEG ends before its end-of-image marker";
    const marker = found.marker;
    at = found.at;
    const name = `marker FF${marker.toString(16).toUpperCase()}`;

    if (marker === 0xd9) return scans > 0 ? null : "JPEG has no image data (end-of-image before any scan)"; // JERR_NO_IMAGE
    if (marker === 0xd8) return "JPEG has a second start-of-image marker"; // JERR_SOI_DUPLICATE
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue; // TEM, RSTn: no parameters

    // Every other marker has a length, which counts its own two bytes.
    if (at + 2 > b.length) return `JPEG ends inside ${name}`;
    const length = u16(b, at);
    if (length < 2 || at + length > b.length) return `JPEG ${name} has a bad length`;
    const body = at + 2;
    const end = at + length;
    at = end;

    if (isSof(marker)) {
      if (!DECODED_PROCESSES.has(marker)) return `JPEG uses a coding process decoders do not support (SOF${marker - 0xc0})`; // JERR_SOF_UNSUPPORTED
      if (frame) return "JPEG has a second frame header"; // JERR_SOF_DUPLICATE
      if (length < 8) return "JPEG frame header has a bad length"; // JERR_BAD_LENGTH
      const height = u16(b, body + 1);
      const width = u16(b, body + 3);
      const count = b[body + 5]!;
      if (height === 0 || width === 0 || count === 0) return "JPEG frame has no pixels or no components"; // JERR_EMPTY_IMAGE
      if (length !== 8 + 3 * count) return "JPEG frame header has a bad length"; // JERR_BAD_LENGTH
      // jdinput.c initial_setup, jdsample.c: 8-bit samples (the decoders here are 8-bit builds), at most 65500 pixels
      // a side and 10 components, sampling factors 1–4 that divide the largest ones
      if (b[body] !== 8) return `JPEG has ${b[body]}-bit samples; only 8-bit JPEG is decoded`; // JERR_BAD_PRECISION
      if (width > 65500 || height > 65500) return "JPEG is more than 65500 pixels wide or high"; // JERR_IMAGE_TOO_BIG
      if (count > 10) return "JPEG has more than 10 components"; // JERR_COMPONENT_COUNT
      const components = new Map<number, Component>();
      const sampling: [h: number, v: number][] = [];
      for (let i = 0; i < count; i++) {
        const c = body + 6 + 3 * i;
        const h = b[c + 1]! >> 4;
        const v = b[c + 1]! & 15;
        if (h < 1 || h > 4 || v < 1 || v > 4) return "JPEG has a bad sampling factor"; // JERR_BAD_SAMPLING
        sampling.push([h, v]);
        components.set(b[c]!, { quantTable: b[c + 2]!, blocks: h * v, latched: false });
      }
      const maxH = Math.max(...sampling.map(([h]) => h));
      const maxV = Math.max(...sampling.map(([, v]) => v));
      if (sampling.some(([h, v]) => maxH % h !== 0 || maxV % v !== 0)) return "JPEG has fractional sampling ratios"; // JERR_FRACT_SAMPLE_NOTIMPL
      frame = { coding: codingOf(marker), components, multipleScans: true };
    } else if (marker === 0xc4) {
      // DHT: tables of a class/index byte, 16 code counts and the symbols (get_dht).
      for (let p = body; p < end; ) {
        if (p + 17 > end) return "JPEG Huffman table segment has a bad length"; // JERR_BAD_LENGTH
        const index = b[p]!;
        if ((index & 0x0f) > 3 || index >> 4 > 1) return "JPEG Huffman table has a bad index"; // JERR_DHT_INDEX
        let symbols = 0;
        for (let i = 1; i <= 16; i++) symbols += b[p + i]!;
        if (symbols > 256 || p + 17 + symbols > end) return "JPEG Huffman table is corrupt"; // JERR_BAD_HUFF_TABLE
        huffman[index >> 4]![index & 3] = huffmanTableProblem(b, p + 1, p + 17, symbols);
        p += 17 + symbols;
      }
    } else if (marker === 0xdb) {
      // DQT: tables of an index byte and 64 values of 8 or 16 bits, filling the segment exactly (get_dqt; newer
      // libjpeg-turbo pads a short last table, 2.1 refuses it: refused here).
      for (let p = body; p < end; ) {
        const wide = b[p]! >> 4 !== 0;
        const index = b[p]! & 0x0f;
        if (index > 3) return "JPEG quantisation table has a bad index"; // JERR_DQT_INDEX
        quantDefined[index] = true;
        p += 1 + (wide ? 128 : 64);
        if (p > end) return "JPEG quantisation table segment has a bad length"; // JERR_BAD_LENGTH
      }
    } else if (marker === 0xdd) {
      if (length !== 4) return "JPEG restart interval segment has a bad length"; // JERR_BAD_LENGTH
    } else if (marker === 0xda) {
      const problem = scanProblem(b, body, length, frame, quantDefined, huffman, scans === 0);
      if (problem) return problem;
      scans++;
      const next = endOfEntropyData(b, end);
      if (next < 0) return "JPEG ends inside a scan";
      at = next - 1; // the marker's FF
    } else if (!((marker >= 0xe0 && marker <= 0xef) || marker === 0xfe || marker === 0xdc || marker === 0xcc)) {
      // APPn, COM, DNL and DAC are skipped; anything else stops libjpeg.
      return `JPEG has an unknown ${name}`; // JERR_UNKNOWN_MARKER
    }
  }
}

/** Why a scan header (SOS) stops libjpeg (get_sos, latch_quant_tables, per_scan_setup, the entropy decoders' start). */
function scanProblem(
  b: Uint8Array,
  body: number,
  length: number,
  frame: Frame | null,
  quantDefined: boolean[],
  huffman: TableState[][],
  firstScan: boolean,
): string | null {
  if (!frame) return "JPEG scan comes before the frame header"; // JERR_SOS_NO_SOF
  const count = b[body]!;
  if (count < 1 || count > 4 || length !== 6 + 2 * count) return "JPEG scan header has a bad length"; // JERR_BAD_LENGTH
  const seen = new Set<number>();
  const tables: [dc: number, ac: number][] = [];
  let blocks = 0;
  for (let i = 0; i < count; i++) {
    const id = b[body + 1 + 2 * i]!;
    const t = b[body + 2 + 2 * i]!;
    const comp = frame.components.get(id);
    if (!comp || seen.has(id)) return "JPEG scan names a component the frame does not have"; // JERR_BAD_COMPONENT_ID
    seen.add(id);
    tables.push([t >> 4, t & 15]);
    if (!comp.latched) {
      if (comp.quantTable > 3 || !quantDefined[comp.quantTable]) return "JPEG component has no quantisation table"; // JERR_NO_QUANT_TABLE
      comp.latched = true;
    }
    blocks += count === 1 ? 1 : comp.blocks;
  }
  if (blocks > 10) return "JPEG scan has too many blocks per MCU"; // JERR_BAD_MCU_SIZE
  const ss = b[body + 1 + 2 * count]!;
  const se = b[body + 2 + 2 * count]!;
  const ah = b[body + 3 + 2 * count]! >> 4;
  const al = b[body + 3 + 2 * count]! & 15;
  if (frame.coding === "progressive") {
    const bad = (ss === 0 ? se !== 0 : ss > se || se > 63 || count !== 1) || (ah !== 0 && al !== ah - 1) || al > 13;
    if (bad) return "JPEG progressive scan has bad parameters"; // JERR_BAD_PROGRESSION
  }
  // After a first scan that held every component of a sequential frame, libjpeg expects the end of the image.
  if (firstScan) frame.multipleScans = frame.coding === "progressive" || count < frame.components.size;
  else if (!frame.multipleScans) return "JPEG has a second scan after a scan of all its components"; // JERR_EOI_EXPECTED
  if (frame.coding === "arithmetic") return null;
  // The sequential Huffman decoder starts at the first scan (jpeg_start_decompress) and gives tables 0 and 1 of each
  // class the standard ones where none is defined (Motion JPEG); the progressive one does not. A table is checked when
  // a scan uses it: DC tables in sequential scans and first DC scans, AC tables in AC scans; lossless scans use
  // DC-class tables with symbols up to 16. Table numbers over 3 never exist (JERR_NO_HUFF_TABLE).
  const sequential = frame.coding === "sequential";
  if (firstScan && sequential) for (const cls of huffman) for (const i of [0, 1]) if (cls[i] === undefined) cls[i] = null;
  const dcUsed = sequential || frame.coding === "lossless" || (ss === 0 && ah === 0);
  const acUsed = sequential || (frame.coding === "progressive" && ss > 0);
  for (const [dc, ac] of tables) {
    const dcState = huffman[0]![dc];
    const problem = dcUsed ? (frame.coding === "lossless" ? acTableProblem(dcState) : dcTableProblem(dcState)) : null;
    if (problem) return problem;
    if (acUsed) {
      const acProblem = acTableProblem(huffman[1]![ac]);
      if (acProblem) return acProblem;
    }
  }
  return null;
}
