/**
 * `annopage engines`: list the engines (any key), and the admin subcommands
 * `engines add | update | upload-files`.
 */
import { readFileSync, statSync } from "node:fs";
import { defineCommand } from "citty";
import type { ApiClient, EngineUpdate } from "../api.ts";
import type { Connection } from "../connection.ts";
import { withHelp } from "../../shared/usage.ts";
import { printJson, printTable } from "../output.ts";
import { apiFromArgs, boolOption, call, connectionArgs, jsonArg, namesSubcommand, positionals, usageError } from "./common.ts";

export async function listEnginesOutput(
  api: ApiClient,
  conn: Connection,
  json: boolean,
  query: { name?: string; all?: boolean } = {},
): Promise<void> {
  const engines = await call(conn, "listing engines", () => api.listEngines(query.name ? { name: query.name } : {}));
  if (json) return printJson(engines);
  printTable(
    ["NAME", "VERSION", "DEFAULT", "DESCRIPTION"],
    engines.map((e) => [e.name, e.version, e.default ? "yes" : "", e.description ?? ""]),
    "No available engines.",
  );
}

/** `--definition` is a path to a JSON file, or else a JSON string; it must be an object. */
function readDefinition(value: string | undefined): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  let text = value;
  try {
    if (statSync(value).isFile()) text = readFileSync(value, "utf8");
  } catch {
    /* not a file: a JSON string */
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw usageError([`--definition is neither a JSON file nor a JSON string: ${(e as Error).message}`]);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw usageError(["--definition must be a JSON object"]);
  return parsed as Record<string, unknown>;
}

function checkZip(path: string): void {
  try {
    if (!statSync(path).isFile()) throw new Error("not a file");
  } catch {
    throw usageError([`engine files ${path} is not a readable file`]);
  }
}

const add = withHelp(
  defineCommand({
    meta: { name: "add", description: "Create an engine (admin key)" },
    args: {
      ...connectionArgs,
      ...jsonArg,
      name: { type: "string", required: true, valueHint: "name", description: "Engine name" },
      version: { type: "string", required: true, valueHint: "version", description: "Engine version" },
      description: { type: "string", description: "Description (default: empty)" },
      definition: { type: "string", valueHint: "json", description: "Definition: JSON file or JSON string (an object)" },
      default: { type: "boolean", description: "Make it the default engine" },
      inactive: { type: "boolean", description: "Create it inactive" },
      files: { type: "string", valueHint: "zip", description: "Also upload this engine ZIP (config.ini at its root)" },
    },
    async run({ args }) {
      const definition = readDefinition(args.definition);
      if (args.files) checkZip(args.files);
      const { api, conn } = apiFromArgs(args);
      await call(conn, `creating engine ${args.name} ${args.version}`, () =>
        api.createEngine({
          name: args.name,
          version: args.version,
          description: args.description ?? "",
          definition: definition ?? {},
          default: !!args.default,
          active: !args.inactive,
        }),
      );
      let files: string | undefined;
      if (args.files) {
        const env = await call(conn, `uploading the files of engine ${args.name} ${args.version}`, () =>
          api.uploadEngineFiles(args.name, args.version, args.files!),
        );
        files = env.code;
      }
      const [engine] = await call(conn, "reading the new engine", () => api.listEngines({ name: args.name, version: args.version }));
      if (args.json) return printJson(engine ?? null);
      process.stdout.write(
        `Created engine ${args.name} ${args.version}${engine?.id ? ` (${engine.id})` : ""}${files ? `; files uploaded` : ""}\n`,
      );
    },
  }),
  { examples: ["annopage engines add --name layout --version 2.1 --files layout-2.1.zip --default"] },
);

const update = withHelp(
  defineCommand({
    meta: { name: "update", description: "Change an engine: annopage engines update NAME VERSION [options] (admin key)" },
    args: {
      ...connectionArgs,
      ...jsonArg,
      "new-name": { type: "string", description: "Rename the engine" },
      "new-version": { type: "string", description: "Change its version string" },
      description: { type: "string", description: "New description" },
      definition: { type: "string", valueHint: "json", description: "New definition: JSON file or JSON string (an object)" },
      default: { type: "string", valueHint: "true|false", description: "true|false: make it (or stop it being) the default engine" },
      active: {
        type: "string",
        valueHint: "true|false",
        description: "true|false: activate (deactivating the other versions) or deactivate",
      },
    },
    async run({ args }) {
      const [name, version] = positionals(args, ["name", "version"]) as [string, string];
      const body: EngineUpdate = {};
      if (args["new-name"] !== undefined) body.name = args["new-name"];
      if (args["new-version"] !== undefined) body.version = args["new-version"];
      if (args.description !== undefined) body.description = args.description;
      const definition = readDefinition(args.definition);
      if (definition) body.definition = definition;
      const dflt = boolOption(args.default, "default");
      if (dflt !== undefined) body.default = dflt;
      const active = boolOption(args.active, "active");
      if (active !== undefined) body.active = active;
      if (Object.keys(body).length === 0)
        throw usageError(["nothing to change: give --description, --definition, --default, --active, --new-name or --new-version"]);
      const { api, conn } = apiFromArgs(args);
      const env = await call(conn, `updating engine ${name} ${version}`, () => api.updateEngine(name, version, body));
      if (args.json) return printJson({ name, version, changes: body, code: env.code });
      process.stdout.write(`Updated engine ${name} ${version}\n`);
    },
  }),
  {
    positionals: [
      ["NAME", "The engine's name"],
      ["VERSION", "The engine's version"],
    ],
    examples: ["annopage engines update layout 2.1 --default true", "annopage engines update layout 2.0 --active false"],
  },
);

const uploadFiles = withHelp(
  defineCommand({
    meta: { name: "upload-files", description: "Upload an engine's ZIP: annopage engines upload-files NAME VERSION FILE.zip (admin key)" },
    args: { ...connectionArgs, ...jsonArg },
    async run({ args }) {
      const [name, version, zip] = positionals(args, ["name", "version", "file"]) as [string, string, string];
      checkZip(zip);
      const { api, conn } = apiFromArgs(args);
      const env = await call(conn, `uploading the files of engine ${name} ${version}`, () => api.uploadEngineFiles(name, version, zip));
      if (args.json) return printJson({ name, version, file: zip, code: env.code });
      process.stdout.write(`${env.code === "ENGINE_FILES_REUPLOADED" ? "Replaced" : "Uploaded"} the files of engine ${name} ${version}\n`);
    },
  }),
  {
    positionals: [
      ["NAME", "The engine's name"],
      ["VERSION", "The engine's version"],
      ["FILE", "The engine ZIP (config.ini at its root)"],
    ],
    examples: ["annopage engines upload-files layout 2.1 layout-2.1.zip"],
  },
);

const listArgs = {
  ...connectionArgs,
  ...jsonArg,
  name: { type: "string", valueHint: "name", description: "Only engines with this name" },
} as const;

export default withHelp(
  defineCommand({
    meta: { name: "engines", description: "List engines (name, version, default, description); admin: add, update, upload-files" },
    args: listArgs,
    subCommands: { add, update, "upload-files": uploadFiles },
    async run({ args, rawArgs }) {
      // citty runs the parent's run after a subcommand too; list only when no subcommand was named.
      if (namesSubcommand(rawArgs, listArgs)) return;
      const { api, conn } = apiFromArgs(args);
      await listEnginesOutput(api, conn, !!args.json, { name: args.name });
    },
  }),
  { examples: ["annopage engines", "annopage engines add --name layout --version 2.1 --files layout-2.1.zip"] },
);
