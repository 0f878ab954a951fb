/**
 * Guard, decide, apply — without holding a row lock across round trips. `step` reads the job, runs the
 * guards of docs/protocol.md §1.8 and the route's checks on it, and applies its change only to the row version it read
 * (db/jobs.ts: `row_version`, compare-and-set on `xmin`). When another request changed the job in
 * between, the change touches nothing and `step` answers JOB_CHANGED; it then runs again from the read,
 * so every decision is made on the row that the change is applied to, as under a lock. Each retry
 * means some other change of this job committed, so the loop ends; MAX_ATTEMPTS only stops a bug
 * (an update that can never match) from spinning on the database (→ 500).
 */
export const JOB_CHANGED: unique symbol = Symbol("job changed");

const MAX_ATTEMPTS = 100;

export async function untilApplied<T>(step: () => Promise<T | typeof JOB_CHANGED>): Promise<T> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const r = await step();
    if (r !== JOB_CHANGED) return r;
  }
  throw new Error(`the job changed under ${MAX_ATTEMPTS} attempts in a row to apply a change to it`);
}
