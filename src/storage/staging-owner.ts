/**
 * Whose a staged file is. Each Stager names its files `{host}_{pid}_{token}_{uuid}.part`: the host name, the process
 * id and a token made when the Stager was (its start time in base 36 and a random suffix). Several replicas may share
 * a staging directory (one data directory on a shared disk); a replica on another host, or a live process on this
 * one, is never judged dead — its leftovers go by age only. A file of this host is an orphan when its process is
 * gone, or when it bears this very process id without being one of this process's own tokens (a container restarted
 * after a SIGKILL runs again as the same pid, typically 1).
 * Caveat: two containers that share both a host name (host networking) and a staging directory, in separate pid
 * namespaces, cannot see each other's processes; give them distinct host names (or data directories).
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";

export interface StagingOwner {
  host: string;
  pid: number;
  token: string;
}

const HOST = hostname().replace(/[^A-Za-z0-9.-]/g, "-") || "host";
/** Tokens of the Stagers of this process (several servers may run in one process: tests, the demo). */
const OWN_TOKENS = new Set<string>();

/** A new owner prefix for this process's staged files: `{host}_{pid}_{token}`. */
export function newStagingOwner(): string {
  const token = `${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
  OWN_TOKENS.add(token);
  return `${HOST}_${process.pid}_${token}`;
}

const NAME_RE = /^([A-Za-z0-9.-]+)_(\d+)_([0-9a-z]+)_[0-9a-f-]+\.part$/;

/** The owner of a staged file's name; null for a name of another form (e.g. an earlier version's `{uuid}.part`). */
export function parseStagingName(name: string): StagingOwner | null {
  const m = NAME_RE.exec(name);
  return m ? { host: m[1]!, pid: Number(m[2]), token: m[3]! } : null;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by another user
  }
}

/** True when the owner ran on this host and is certainly no longer running. */
export function ownerIsDeadHere(o: StagingOwner): boolean {
  if (o.host !== HOST || OWN_TOKENS.has(o.token)) return false;
  return o.pid === process.pid || !processAlive(o.pid);
}
