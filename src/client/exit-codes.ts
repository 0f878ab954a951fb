/**
 * Exit codes of the client commands and the one place where API failures become CLI errors:
 *   0 done · 1 the job ended failed/cancelled (or the server refused an operation) ·
 *   2 usage or input error (including a refused key and inputs the server rejected) ·
 *   3 server or network unreachable (no answer, or 502/503/504 after all retries) ·
 *   130 interrupted (Ctrl-C / SIGTERM), whether the job was then cancelled or left running (--detach).
 */
import { CliError } from "../shared/cli-error.ts";
import { ApiError } from "./api.ts";

export const EXIT = { OK: 0, JOB_FAILED: 1, USAGE: 2, UNREACHABLE: 3, INTERRUPTED: 130 } as const;

/** Transport failures and gateway errors mean "could not reach a working server". */
function isUnreachable(e: ApiError): boolean {
  return e.status === 0 || e.status === 502 || e.status === 503 || e.status === 504;
}

export function exitCodeFor(e: ApiError): number {
  if (isUnreachable(e)) return EXIT.UNREACHABLE;
  if (e.status >= 400 && e.status < 500) return EXIT.USAGE;
  return EXIT.JOB_FAILED;
}

/** `what` says what we were doing ("creating the job"); the server's code and detail follow. */
export function apiFailure(e: unknown, what: string, apiUrl?: string): CliError {
  if (e instanceof CliError) return e;
  if (e instanceof ApiError) {
    if (isUnreachable(e)) {
      const where = apiUrl ? ` at ${apiUrl}` : "";
      const tries = e.attempts > 1 ? ` (tried ${e.attempts} times)` : "";
      return new CliError(
        `cannot reach the server${where} while ${what}: ${e.status ? `${e.status} ` : ""}${e.detail}${tries}`,
        EXIT.UNREACHABLE,
      );
    }
    return new CliError(`the server refused ${what}: ${e.status} ${e.code}: ${e.detail}${detailsSuffix(e.details)}`, exitCodeFor(e));
  }
  return new CliError(`${what} failed: ${(e as Error)?.message ?? String(e)}`, EXIT.JOB_FAILED);
}

function detailsSuffix(details: unknown): string {
  if (details === undefined || details === null) return "";
  const text = JSON.stringify(details);
  return ` (${text.length > 300 ? `${text.slice(0, 297)}...` : text})`;
}
