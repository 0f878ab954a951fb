/**
 * The central directory of a ZIP file on disk, read from its tail in bounded chunks (a multi-gigabyte archive costs
 * little memory):
 *  - validateZipFile: the check of uploaded archives (docs/protocol.md §6.5), the equivalent of "Python's
 *    `zipfile.ZipFile(path)` opens without BadZipFile". Only the end-of-central-directory record (with ZIP64
 *    locator) and the central-directory headers are checked; local headers, CRCs and data are not;
 *  - zipEntryNames: the names the central directory lists (so every name can be checked before anything is written).
 */
import { open, type FileHandle } from "node:fs/promises";

const EOCD_SIG = 0x06054b50; // PK\x05\x06
const EOCD64_LOCATOR_SIG = 0x07064b50; // PK\x06\x07
const EOCD64_SIG = 0x06064b50; // PK\x06\x06
const CENTRAL_SIG = 0x02014b50; // PK\x01\x02
const EOCD_SIZE = 22;
const EOCD64_LOCATOR_SIZE = 20;
const EOCD64_SIZE = 56;
const CENTRAL_SIZE = 46;
const MAX_COMMENT = 65535;

export type ZipCheck = { ok: true } | { ok: false; reason: string };

class BadZip extends Error {}

async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got === length ? buf : buf.subarray(0, got);
}

interface EndRecord {
  /** Offset of the (32-bit) EOCD record in the file. */
  location: number;
  cdSize: number;
  cdOffset: number;
  zip64: boolean;
}

async function findEndRecord(fh: FileHandle, size: number): Promise<EndRecord | undefined> {
  if (size < EOCD_SIZE) return undefined;
  // Fast path: no archive comment.
  const last = await readAt(fh, size - EOCD_SIZE, EOCD_SIZE);
  if (last.readUInt32LE(0) === EOCD_SIG && last.readUInt16LE(20) === 0) {
    return { location: size - EOCD_SIZE, cdSize: last.readUInt32LE(12), cdOffset: last.readUInt32LE(16), zip64: false };
  }
  // Otherwise the last EOCD signature within the final 64 KiB + 22 bytes.
  const start = Math.max(size - MAX_COMMENT - EOCD_SIZE, 0);
  const tail = await readAt(fh, start, size - start);
  for (let i = tail.length - EOCD_SIZE; i >= 0; i--) {
    if (tail.readUInt32LE(i) !== EOCD_SIG) continue;
    const commentLength = tail.readUInt16LE(i + 20);
    if (i + EOCD_SIZE + commentLength > tail.length) continue; // declared comment does not fit
    return { location: start + i, cdSize: tail.readUInt32LE(i + 12), cdOffset: tail.readUInt32LE(i + 16), zip64: false };
  }
  return undefined;
}

async function applyZip64(fh: FileHandle, rec: EndRecord): Promise<EndRecord> {
  if (rec.location < EOCD64_LOCATOR_SIZE) return rec;
  const loc = await readAt(fh, rec.location - EOCD64_LOCATOR_SIZE, EOCD64_LOCATOR_SIZE);
  if (loc.readUInt32LE(0) !== EOCD64_LOCATOR_SIG) return rec;
  const disk = loc.readUInt32LE(4);
  const disks = loc.readUInt32LE(16);
  if (disk !== 0 || disks > 1) throw new BadZip("zipfiles that span multiple disks are not supported");
  const at = rec.location - EOCD64_LOCATOR_SIZE - EOCD64_SIZE;
  if (at < 0) throw new BadZip("Corrupt ZIP64 end of central directory record");
  const e64 = await readAt(fh, at, EOCD64_SIZE);
  if (e64.length !== EOCD64_SIZE || e64.readUInt32LE(0) !== EOCD64_SIG) {
    throw new BadZip("Corrupt ZIP64 end of central directory record");
  }
  return { location: rec.location, cdSize: Number(e64.readBigUInt64LE(40)), cdOffset: Number(e64.readBigUInt64LE(48)), zip64: true };
}

/** Walks the central-directory headers; `onName` gets each entry's name (UTF-8 when flagged, else Latin-1, as fflate). */
async function walkCentralDirectory(fh: FileHandle, start: number, cdSize: number, onName?: (name: string) => void): Promise<void> {
  // Read the directory in windows of 1 MiB; the reference reads it whole, so a header that runs
  // past cd_size (or past the end of the file) is "truncated".
  const WINDOW = 1 << 20;
  let winStart = 0;
  let win: Buffer = Buffer.alloc(0);
  let total = 0;
  while (total < cdSize) {
    const want = Math.min(CENTRAL_SIZE, cdSize - total);
    if (total < winStart || total + want > winStart + win.length) {
      winStart = total;
      win = await readAt(fh, start + total, Math.min(WINDOW, cdSize - total));
    }
    const head = win.subarray(total - winStart, total - winStart + want);
    if (head.length !== CENTRAL_SIZE) throw new BadZip("Truncated central directory");
    if (head.readUInt32LE(0) !== CENTRAL_SIG) throw new BadZip("Bad magic number for central directory");
    const nameLength = head.readUInt16LE(28);
    if (onName) {
      const utf8 = (head.readUInt16LE(8) & 0x800) !== 0;
      const name = await readAt(fh, start + total + CENTRAL_SIZE, Math.min(nameLength, cdSize - total - CENTRAL_SIZE));
      if (name.length !== nameLength) throw new BadZip("Truncated central directory");
      onName(name.toString(utf8 ? "utf8" : "latin1"));
    }
    total += CENTRAL_SIZE + nameLength + head.readUInt16LE(30) + head.readUInt16LE(32);
  }
}

/** Finds and walks the central directory of the ZIP at `path`; throws BadZip with the reference's message. */
async function readCentralDirectory(path: string, onName?: (name: string) => void): Promise<void> {
  const fh = await open(path, "r");
  try {
    const size = (await fh.stat()).size;
    const first = await findEndRecord(fh, size);
    if (!first) throw new BadZip("File is not a zip file");
    const rec = await applyZip64(fh, first);
    let concat = rec.location - rec.cdSize - rec.cdOffset;
    if (rec.zip64) concat -= EOCD64_SIZE + EOCD64_LOCATOR_SIZE;
    const startDir = rec.cdOffset + concat;
    if (startDir < 0) throw new BadZip("Bad offset for central directory");
    await walkCentralDirectory(fh, startDir, rec.cdSize, onName);
  } finally {
    await fh.close();
  }
}

/** Checks the ZIP at `path`; `reason` carries the reference's BadZipFile message. */
export async function validateZipFile(path: string): Promise<ZipCheck> {
  try {
    await readCentralDirectory(path);
    return { ok: true };
  } catch (e) {
    if (e instanceof BadZip) return { ok: false, reason: e.message };
    throw e;
  }
}

/** The entry names of the ZIP at `path`, in central-directory order; an unreadable archive throws ("not a zip file"). */
export async function zipEntryNames(path: string): Promise<string[]> {
  const names: string[] = [];
  try {
    await readCentralDirectory(path, (name) => names.push(name));
  } catch (e) {
    if (e instanceof BadZip) throw new Error(`${path}: ${e.message}`);
    throw e;
  }
  return names;
}
