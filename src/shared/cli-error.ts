/**
 * A CLI failure that ends the program with one line on stderr and a given exit code. Commands
 * throw it once; src/cli/errors.ts prints it. Exit codes: 1 failure, 2 usage or input error,
 * 3 server or network unreachable (client commands).
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 1,
  ) {
    super(message);
    this.name = "CliError";
  }
}
