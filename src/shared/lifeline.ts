/**
 * A child's lifeline to its parent: the parent spawns it with a pipe on its stdin that it never writes to. When the
 * parent ends — however it ends (SIGKILL, crash, OOM) — the kernel closes the pipe and the child reads end-of-file.
 * Used by the processor supervisor (worker/supervisor.ts) and by the server's replica processes (server/ops/replicas.ts).
 */

/** Calls `gone` once when this process's stdin (the parent's lifeline) reaches end-of-file or fails. */
export function onParentGone(gone: () => void): void {
  let called = false;
  const once = () => {
    if (called) return;
    called = true;
    gone();
  };
  process.stdin.on("end", once);
  process.stdin.on("error", once);
  process.stdin.resume();
}
