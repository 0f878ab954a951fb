/**
 * ZIP validation of result, artifacts and engine-file uploads (protocol §6.5): the equivalent of
 * Python's `zipfile.ZipFile(path)` opening without BadZipFile — the End-Of-Central-Directory
 * record is found (ZIP64 locator honoured) and the central directory it points to is walked.
 * Local headers, CRCs and compressed data are not checked. Reads only the tail and the central
 * directory of the file, never the whole archive.
 */
import { open } from "node:fs/promises";

export type ZipCheck = { ok: true; entries: number } | { ok: false; reason: string };

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CD_SIG = 0x02014b50;

export async function checkZipFile(path: string): Promise<ZipCheck> {
  const fh = await open(path, "r");
  try {
    const size = (await fh.stat()).size;
    const read = async (pos: number, len: number) => {
      const buf = Buffer.alloc(len);
      const { bytesRead } = await fh.read(buf, 0, len, pos);
      return buf.subarray(0, bytesRead);
    };
    if (size < 22) return { ok: false, reason: "File is not a zip file" };
    const tailLen = Math.min(size, 65535 + 22);
    const tailStart = size - tailLen;
    const tail = await read(tailStart, tailLen);
    let eocd = -1;
    if (tail.readUInt32LE(tail.length - 22) === EOCD_SIG && tail.readUInt16LE(tail.length - 2) === 0) {
      eocd = tail.length - 22;
    } else {
      for (let i = tail.length - 22; i >= 0; i--) {
        if (tail.readUInt32LE(i) === EOCD_SIG) {
          const commentLen = tail.readUInt16LE(i + 20);
          if (i + 22 + commentLen <= tail.length) {
            eocd = i;
            break;
          }
        }
      }
    }
    if (eocd < 0) return { ok: false, reason: "File is not a zip file" };
    const eocdPos = tailStart + eocd;
    let cdEntries = tail.readUInt16LE(eocd + 10);
    let cdSize = tail.readUInt32LE(eocd + 12);
    let cdOffset = tail.readUInt32LE(eocd + 16);
    let endOfCdRecords = eocdPos;
    // ZIP64: locator right before the EOCD.
    if (eocdPos >= 20) {
      const loc = await read(eocdPos - 20, 20);
      if (loc.length === 20 && loc.readUInt32LE(0) === ZIP64_LOCATOR_SIG) {
        const z64Pos = eocdPos - 20 - 56;
        if (z64Pos < 0) return { ok: false, reason: "Corrupt zip64 end of central directory locator" };
        const z64 = await read(z64Pos, 56);
        if (z64.length < 56 || z64.readUInt32LE(0) !== ZIP64_EOCD_SIG) {
          return { ok: false, reason: "Corrupt zip64 end of central directory locator" };
        }
        cdEntries = Number(z64.readBigUInt64LE(32));
        cdSize = Number(z64.readBigUInt64LE(40));
        cdOffset = Number(z64.readBigUInt64LE(48));
        endOfCdRecords = z64Pos;
      }
    }
    const concat = endOfCdRecords - cdSize - cdOffset;
    const start = cdOffset + concat;
    if (concat < 0 || start < 0) return { ok: false, reason: "Bad offset for central directory" };
    const cd = await read(start, cdSize);
    if (cd.length < cdSize) return { ok: false, reason: "Truncated central directory" };
    let p = 0;
    let n = 0;
    while (p < cdSize) {
      if (p + 46 > cdSize) return { ok: false, reason: "Truncated central directory" };
      if (cd.readUInt32LE(p) !== CD_SIG) return { ok: false, reason: "Bad magic number for central directory" };
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      p += 46 + nameLen + extraLen + commentLen;
      if (p > cdSize) return { ok: false, reason: "Truncated central directory" };
      n++;
    }
    void cdEntries;
    return { ok: true, entries: n };
  } finally {
    await fh.close();
  }
}
