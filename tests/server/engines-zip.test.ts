/**
 * ZIP validation of engine/result/artifact uploads (docs/protocol.md §6.5): the verdict and reason that
 * Python's `zipfile.ZipFile(path)` gives, on real files. Every expectation below was checked
 * against CPython 3.11's zipfile when the cases were written — except the end record whose declared
 * comment runs past the end of the file: §6.5 requires the comment length to fit, CPython 3.11 does
 * not check it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { zipSync } from "fflate";
import { validateZipFile } from "../../src/shared/zip/central-directory.ts";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "annopage-zip-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
async function check(bytes: Uint8Array | Buffer) {
  const p = join(dir, `case-${n++}.zip`);
  writeFileSync(p, bytes);
  return validateZipFile(p);
}

const u16 = (v: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return b;
};
const u32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
};
const u64 = (v: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(v));
  return b;
};
const eocd = (cdSize: number, cdOffset: number, entries = 1, commentLength = 0) =>
  Buffer.concat([u32(0x06054b50), u16(0), u16(0), u16(entries), u16(entries), u32(cdSize), u32(cdOffset), u16(commentLength)]);
const central = (name = "a.txt") =>
  Buffer.concat([u32(0x02014b50), Buffer.alloc(24), u16(name.length), u16(0), u16(0), Buffer.alloc(12), Buffer.from(name)]);
const local = (name = "a.txt") => Buffer.concat([u32(0x04034b50), Buffer.alloc(22), u16(name.length), u16(0), Buffer.from(name)]);

const real = () => Buffer.from(zipSync({ "a.txt": new TextEncoder().encode("hello"), "dir/b.bin": new Uint8Array(10_000) }));

describe("validateZipFile", () => {
  test("archives written by a real zip library, with prepended data and with an archive comment, are valid", async () => {
    expect(await check(real())).toEqual({ ok: true });
    expect(await check(Buffer.concat([Buffer.from("#!/bin/sh\nexit 0\n"), real()]))).toEqual({ ok: true });
    const withComment = real();
    withComment.writeUInt16LE(7, withComment.length - 2);
    expect(await check(Buffer.concat([withComment, Buffer.from("comment")]))).toEqual({ ok: true });
  });

  test("the DocAPI suite's VALID_ZIP (0 entries, dangling central header) is valid", async () => {
    const validZip = Buffer.concat([
      Buffer.from(`PK\x03\x04${"\0".repeat(26)}`, "latin1"),
      Buffer.from(`PK\x01\x02${"\0".repeat(42)}`, "latin1"),
      eocd(0, 0, 0),
    ]);
    expect(await check(validZip)).toEqual({ ok: true });
  });

  test("no end-of-central-directory record: empty, tiny, text, and a comment longer than the file", async () => {
    const notZip = { ok: false, reason: "File is not a zip file" };
    expect(await check(new Uint8Array(0))).toEqual(notZip);
    expect(await check(eocd(0, 0).subarray(0, 21))).toEqual(notZip);
    expect(await check(Buffer.from("this is not a zip file at all, just some text"))).toEqual(notZip);
    const z = real();
    z.writeUInt16LE(500, z.length - 2); // declares a 500-byte comment that is not there (docs/protocol.md §6.5; CPython 3.11 accepts it)
    expect(await check(z)).toEqual(notZip);
  });

  test("a central directory larger than everything before the end record → Bad offset for central directory", async () => {
    const body = Buffer.concat([local(), central()]);
    const bytes = Buffer.concat([body, eocd(body.length + 100, 0)]);
    expect(await check(bytes)).toEqual({ ok: false, reason: "Bad offset for central directory" });
  });

  test("wrong signature in the central directory → Bad magic number for central directory", async () => {
    const z = real();
    const cdOffset = z.readUInt32LE(z.length - 6);
    z.writeUInt32LE(0x12345678, cdOffset);
    expect(await check(z)).toEqual({ ok: false, reason: "Bad magic number for central directory" });
    const second = real();
    const firstLen = 46 + second.readUInt16LE(second.readUInt32LE(second.length - 6) + 28);
    second.writeUInt32LE(0, second.readUInt32LE(second.length - 6) + firstLen); // second entry's header
    expect(await check(second)).toEqual({ ok: false, reason: "Bad magic number for central directory" });
  });

  test("a central directory shorter than one header → Truncated central directory", async () => {
    const head = local();
    const partial = central().subarray(0, 20);
    expect(await check(Buffer.concat([head, partial, eocd(partial.length, head.length)]))).toEqual({
      ok: false,
      reason: "Truncated central directory",
    });
  });

  test("ZIP64 end records are followed; multi-disk archives are refused", async () => {
    const lh = local();
    const cd = central();
    const zip64At = lh.length + cd.length;
    const zip64 = (disks: number) =>
      Buffer.concat([
        lh,
        cd,
        // ZIP64 end of central directory record (56 bytes)
        Buffer.concat([u32(0x06064b50), u64(44), u16(45), u16(45), u32(0), u32(0), u64(1), u64(1), u64(cd.length), u64(lh.length)]),
        // ZIP64 locator (20 bytes)
        Buffer.concat([u32(0x07064b50), u32(0), u64(zip64At), u32(disks)]),
        eocd(0xffffffff, 0xffffffff, 0xffff),
      ]);
    expect(await check(zip64(1))).toEqual({ ok: true });
    expect(await check(zip64(2))).toEqual({ ok: false, reason: "zipfiles that span multiple disks are not supported" });
  });
});
