/** Queries on `images` (docs/protocol.md §3.3, §4.7, §4.14). */
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
