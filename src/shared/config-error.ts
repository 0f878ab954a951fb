/**
 * A wrong setting, naming the variable. Lives here, not in src/config.ts, so that modules given
 * their settings as values (e.g. storage) can report a bad one without importing the configuration.
 * The CLI prints it on one line and exits with code 2.
 */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = "ConfigError";
  }
}
