/**
 * A page image the dashboard's viewer can show. Browsers show the uploaded JPEG, PNG, WebP, BMP and GIF as they are;
 * for a TIFF (which they do not show) the result's render of the page is used when the job asked for renders
 * (`renders/<stem>.jpg` in the result ZIP), else the TIFF is decoded and sent as a JPEG, scaled down to at most
 * PREVIEW_SIDE pixels on its long side, within the server's decode memory budget (IMAGE_CHECK_MEMORY_MB).
 */
import type { ImageRow } from "../../db/images.ts";
import { decodeImage, encodeJpeg, formatInfo, resizeRgba, type ImageFormat } from "../../media/index.ts";
import type { StoredFile } from "../../storage/storage.ts";
import type { AppDeps } from "../context.ts";
import { AppError } from "../errors.ts";
import { stem } from "../http/file-response.ts";
import { readZipEntries } from "../../shared/zip/read-entries.ts";

const PREVIEW_SIDE = 3000;
const MAX_RENDER_BYTES = 256 * 1024 * 1024;

export interface PageImage {
  body: Blob;
  type: string;
}

export async function browserPageImage(deps: AppDeps, jobId: string, image: ImageRow, result: StoredFile): Promise<PageImage> {
  const info = image.image_format ? formatInfo(image.image_format as ImageFormat) : undefined;
  const stored = info ? await deps.storage.open("jobs", `${jobId}/${image.id}.${info.extension}`) : null;
  if (!stored || !info) throw new AppError("IMAGE_GONE");
  if (info.format !== "tiff") return { body: stored.body, type: info.contentType };

  const renderName = `renders/${stem(image.name)}.jpg`;
  const render = await readZipEntries(result.body, (n) => n === renderName, MAX_RENDER_BYTES)
    .then((m) => m.get(renderName))
    .catch(() => undefined);
  if (render) return { body: new Blob([render as Uint8Array<ArrayBuffer>]), type: "image/jpeg" };

  const pixels = (image.image_width ?? 0) * (image.image_height ?? 0);
  const jpeg = await deps.imageChecks.run(pixels * 8, `a ${image.image_width}×${image.image_height} TIFF`, async () => {
    const decoded = await decodeImage(new Uint8Array(await stored.body.arrayBuffer()));
    const scale = Math.min(1, PREVIEW_SIDE / Math.max(decoded.width, decoded.height));
    const small = scale < 1 ? resizeRgba(decoded, Math.round(decoded.width * scale), Math.round(decoded.height * scale)) : decoded;
    return encodeJpeg(small, 85);
  });
  return { body: new Blob([jpeg as Uint8Array<ArrayBuffer>]), type: "image/jpeg" };
}
