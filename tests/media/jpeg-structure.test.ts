/**
 * The JPEG upload check decodes no pixels: it walks the marker segments as libjpeg reads them (src/media/
 * jpeg-structure.ts) and lets the decoder read the header. These tests hold it to libjpeg's own verdicts: `djpeg`
 * (libjpeg-turbo) exits 1 on a fatal error and 2 on warnings only, such as damaged entropy-coded data. Over seeded
 * mutations of the marker segments of a baseline and a progressive page, every file libjpeg refuses is refused, and
 * the walk refuses nothing libjpeg decodes. libjpeg's verdicts are recorded with each input's SHA-256
 * (tests/helpers/jpeg-cases.ts, scripts/record-libjpeg-verdicts.ts), so the tests need no djpeg.
 */
import { describe, expect, test } from "bun:test";
import { probeImage } from "../../src/media/index.ts";
import { jpegStructureProblem } from "../../src/media/jpeg-structure.ts";
import {
  arithmetic,
  baseline,
  libjpegVerdict,
  markerInScan,
  mutations,
  page,
  progressive,
  ruleCases,
  zeroedScan,
} from "../helpers/jpeg-cases.ts";

async function probe(bytes: Uint8Array): Promise<"ok" | "refused"> {
  try {
    await probeImage(bytes);
    return "ok";
  } catch {
    return "refused";
  }
}

describe("JPEG structure check", () => {
  test("the pages themselves, arithmetic coding and damaged entropy-coded data pass, as libjpeg decodes them", async () => {
    expect(libjpegVerdict("baseline", baseline)).toBe("ok");
    expect(libjpegVerdict("progressive", progressive)).toBe("ok");
    expect(libjpegVerdict("arithmetic", arithmetic)).toBe("ok");
    for (const b of [baseline, progressive, page, arithmetic]) expect(jpegStructureProblem(b)).toBeNull();
    expect(await probeImage(arithmetic)).toEqual({ format: "jpeg", width: 160, height: 230 });
    // 50 KB of zeros inside the scan: libjpeg warns and decodes (so does OpenCV, the reference's decoder)
    const zeroed = zeroedScan();
    expect(libjpegVerdict("zeroed scan", zeroed)).toBe("warning");
    expect(await probe(zeroed)).toBe("ok");
    // an unknown marker code inside the scan data stops libjpeg, and the check
    const marked = markerInScan();
    expect(libjpegVerdict("marker in scan", marked)).toBe("fatal");
    expect(jpegStructureProblem(marked)).toBe("JPEG has an unknown marker FF5");
    expect(await probe(marked)).toBe("refused");
  });

  test("each rule of the walk matches a fatal error of libjpeg's", () => {
    for (const [what, bytes, problem] of ruleCases()) {
      expect({ what, lib: libjpegVerdict(what, bytes) }).toEqual({ what, lib: "fatal" });
      expect({ what, walk: jpegStructureProblem(bytes) }).toEqual({ what, walk: expect.stringMatching(problem) });
    }
  });

  test("over 300 seeded mutations of the marker segments, the upload check refuses exactly what libjpeg refuses, or more only where the decoder's header read or the size limit does", async () => {
    const tally: Record<string, number> = {};
    for (const [i, m] of mutations().entries()) {
      const lib = libjpegVerdict(`mutation ${i}`, m);
      const walk = jpegStructureProblem(m);
      const verdict = await probe(m);
      tally[`${lib}/${verdict}`] = (tally[`${lib}/${verdict}`] ?? 0) + 1;
      // libjpeg's fatal errors are all refused … and the walk itself refuses nothing libjpeg decodes
      // (fatal: the upload check's verdict must be "refused"; otherwise the walk's problem must be null)
      expect({ i, lib, checked: lib === "fatal" ? verdict : walk }).toEqual({ i, lib, checked: lib === "fatal" ? "refused" : null });
    }
    // the mutations reach every verdict, so both directions were exercised
    expect(tally["fatal/refused"]).toBeGreaterThan(100);
    expect(tally["ok/ok"]).toBeGreaterThan(30);
    expect(tally["warning/ok"]).toBeGreaterThan(30);
  });
});
