/**
 * The processor's supervisor: `annopage __supervise-processor <processor argv…>`, a small process
 * between the worker and any processor (ours or a foreign one such as the Python `annopage` tool)
 * that takes the processor down with the worker, however the worker ends (SIGKILL, crash, OOM).
 *
 * The worker starts the supervisor as the leader of a new process group, with a pipe on its stdin
 * that the worker never writes to. The supervisor starts the processor in that same group, with the
 * worker's stdout/stderr pipes; so the worker's signals to the group still reach the processor
 * directly. When the worker dies the kernel closes the pipe: the supervisor reads end-of-file and
 * SIGKILLs the whole group (the processor, the processes it started, and itself).
 *
 * While the worker lives, the supervisor ignores SIGTERM/SIGINT/SIGHUP (the processor decides what
 * they mean) and ends the way the processor ended: same exit code, or killed by the same signal.
 */
import { spawn } from "node:child_process";
import { onParentGone } from "../shared/lifeline.ts";
import { selfCommand } from "../shared/self.ts";

export const SUPERVISE_ARG = "__supervise-processor";

/** argv that runs `processorArgv` under the supervisor (spawn it as a process group leader). */
export function supervisedCommand(processorArgv: string[]): string[] {
  return [...selfCommand(), SUPERVISE_ARG, ...processorArgv];
}

const PASSED_ON = ["SIGTERM", "SIGINT", "SIGHUP"] as const;

export function supervise(argv: string[]): Promise<never> {
  const [cmd, ...args] = argv;
  if (!cmd) {
    process.stderr.write("annopage: the processor supervisor needs a command\n");
    process.exit(2);
  }
  const ignore = () => {};
  for (const sig of PASSED_ON) process.on(sig, ignore);

  const child = spawn(cmd, args, { stdio: ["ignore", "inherit", "inherit"] });
  // The worker is gone (its end of our stdin closed): take the whole group down, this process included.
  const workerGone = () => {
    try {
      process.kill(-process.pid, "SIGKILL");
    } catch {
      child.kill("SIGKILL"); // not a group leader (started by hand): the processor at least
    }
    process.exit(137);
  };
  onParentGone(workerGone);

  child.on("error", (err) => {
    process.stderr.write(`cannot start processor ${JSON.stringify(cmd)}: ${err.message}\n`);
    process.exit(127);
  });
  child.on("exit", (code, signal) => {
    if (signal) {
      // End like the processor did, so that the worker sees the signal.
      for (const sig of PASSED_ON) process.off(sig, ignore);
      process.kill(process.pid, signal);
      setTimeout(() => process.exit(128), 1000);
      return;
    }
    process.exit(code ?? 1);
  });
  return new Promise<never>(() => {});
}
