/** Aggregate job figures for monitoring (`GET /metrics`). */
import type { Sql } from "./client.ts";
import { fromDbEnum, type JobState } from "../shared/roles.ts";

/** Number of jobs per state; states without jobs are absent. */
export async function countJobsByState(sql: Sql): Promise<Map<JobState, number>> {
  const rows = await sql<{ state: string; n: string }[]>`SELECT state::text AS state, count(*)::text AS n FROM jobs GROUP BY state`;
  return new Map(rows.map((r) => [fromDbEnum<JobState>(r.state), Number(r.n)]));
}
