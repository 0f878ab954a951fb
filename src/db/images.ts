/** Queries on `images` (protocol §3.3, §4.7, §4.14). */
import type { Sql } from "./client.ts";

export interface ImageRow {
  id: string;
  name: string;
  order: number;
  imagehash: string | null;
  image_uploaded: boolean;
  alto_uploaded: boolean;
  page_uploaded: boolean;
  job_id: string;
  image_format: string | null;
  image_width: number | null;
  image_height: number | null;
}

/** Images of a job, by `order` (ties by name, so the order never changes between calls). */
export async function listImages(sql: Sql, jobId: string): Promise<ImageRow[]> {
  return sql<ImageRow[]>`SELECT * FROM images WHERE job_id = ${jobId} ORDER BY "order", name`;
}

export async function findImageByName(sql: Sql, jobId: string, name: string): Promise<ImageRow | undefined> {
  const rows = await sql<ImageRow[]>`SELECT * FROM images WHERE job_id = ${jobId} AND name = ${name} LIMIT 1`;
  return rows[0];
}

export async function findImageById(sql: Sql, jobId: string, id: string): Promise<ImageRow | undefined> {
  const rows = await sql<ImageRow[]>`SELECT * FROM images WHERE job_id = ${jobId} AND id = ${id}`;
  return rows[0];
}

/** Marks the image file uploaded; returns whether it had been uploaded before (row locked by the caller's job lock). */
export async function markImageUploaded(
  tx: Sql,
  id: string,
  f: { md5: string; format: string; width: number; height: number },
): Promise<boolean> {
  const rows = await tx<{ was: boolean }[]>`
    UPDATE images i SET image_uploaded = true, imagehash = ${f.md5}, image_format = ${f.format},
           image_width = ${f.width}, image_height = ${f.height}
      FROM (SELECT id, image_uploaded AS was FROM images WHERE id = ${id}) o
     WHERE i.id = o.id RETURNING o.was`;
  return rows[0]!.was;
}

/** Marks the ALTO or PAGE file uploaded; returns whether it had been uploaded before. */
export async function markXmlUploaded(tx: Sql, id: string, kind: "alto" | "page"): Promise<boolean> {
  const col = kind === "alto" ? "alto_uploaded" : "page_uploaded";
  const rows = await tx<{ was: boolean }[]>`
    UPDATE images i SET ${tx(col)} = true
      FROM (SELECT id, ${tx(col)} AS was FROM images WHERE id = ${id}) o
     WHERE i.id = o.id RETURNING o.was`;
  return rows[0]!.was;
}

/** Marks the metadata uploaded; returns whether it had been uploaded before. */
export async function markMetaUploaded(tx: Sql, jobId: string): Promise<boolean> {
  const rows = await tx<{ was: boolean }[]>`
    UPDATE jobs j SET meta_json_uploaded = true
      FROM (SELECT id, meta_json_uploaded AS was FROM jobs WHERE id = ${jobId}) o
     WHERE j.id = o.id RETURNING o.was`;
  return rows[0]!.was;
}
