/**
 * Guard, decide, apply — without holding a row lock across round trips. `step` reads the job, runs the
 * guards of §1.8 and the route's checks on it, and applies its change only to the row version it read
 * (db/jobs.ts: `row_version`, compare-and-set on `xmin`). When another request changed the job in
 * between, the change touches nothing and `step` answers JOB_CHANGED; it then runs again from the read,
 * so every decision is made on the row that the change is applied to, as under a lock. Each retry
 * means some other change of this job committed, so the loop always ends.
 */
export const JOB_CHANGED: unique symbol = Symbol("job changed");

export async function untilApplied<T>(step: () => Promise<T | typeof JOB_CHANGED>): Promise<T> {
  for (;;) {
    const r = await step();
    if (r !== JOB_CHANGED) return r;
  }
}
