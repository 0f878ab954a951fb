/**
 * `annopage keys create|list|rotate|disable|enable` (admin key). Secrets are printed once, on
 * stdout, and nowhere else.
 */
import { defineCommand } from "citty";
import { RoleSchema } from "../api.ts";
import { withHelp } from "../../shared/usage.ts";
import { printJson, printTable } from "../output.ts";
import { apiFromArgs, call, connectionArgs, jsonArg, positionals, usageError } from "./common.ts";

const ROLES = RoleSchema.options;

const create = withHelp(
  defineCommand({
    meta: { name: "create", description: "Create a key: annopage keys create LABEL --role user|readonly|worker|admin" },
    args: {
      ...connectionArgs,
      ...jsonArg,
      role: { type: "string", required: true, valueHint: "role", description: `Role: ${ROLES.join(", ")}` },
    },
    async run({ args }) {
      const [label] = positionals(args, ["label"]) as [string];
      const role = RoleSchema.safeParse(args.role);
      if (!role.success) throw usageError([`--role must be one of ${ROLES.join(", ")}, got "${args.role}"`]);
      const { api, conn } = apiFromArgs(args);
      const { secret } = await call(conn, `creating key ${label}`, () => api.createKey(label, role.data));
      if (args.json) return printJson({ label, role: role.data, secret });
      process.stdout.write(`${secret}\n`);
      process.stderr.write(`Created ${role.data} key "${label}". The key above is shown only this once.\n`);
    },
  }),
  {
    positionals: [["LABEL", "Name of the new key (unique)"]],
    examples: ["annopage keys create librarian --role user"],
  },
);

const list = withHelp(
  defineCommand({
    meta: { name: "list", description: "List all keys (label, role, active, created, last used)" },
    args: { ...connectionArgs, ...jsonArg },
    async run({ args }) {
      positionals(args, []);
      const { api, conn } = apiFromArgs(args);
      const keys = await call(conn, "listing keys", () => api.listKeys());
      if (args.json) return printJson(keys);
      printTable(
        ["LABEL", "ROLE", "ACTIVE", "CREATED", "LAST USED"],
        keys.map((k) => [k.label, k.role, k.active ? "yes" : "no", k.created_date, k.last_used ?? "never"]),
        "No keys.",
      );
    },
  }),
  { examples: ["annopage keys list", "annopage keys list --json"] },
);

const rotate = withHelp(
  defineCommand({
    meta: { name: "rotate", description: "Give a key a new secret (the old one stops working): annopage keys rotate LABEL" },
    args: { ...connectionArgs, ...jsonArg },
    async run({ args }) {
      const [label] = positionals(args, ["label"]) as [string];
      const { api, conn } = apiFromArgs(args);
      const { secret } = await call(conn, `rotating key ${label}`, () => api.newKeySecret(label));
      if (args.json) return printJson({ label, secret });
      process.stdout.write(`${secret}\n`);
      process.stderr.write(`New secret for key "${label}"; the previous one no longer works. Shown only this once.\n`);
    },
  }),
  { positionals: [["LABEL", "The key's label"]], examples: ["annopage keys rotate librarian"] },
);

function setActive(active: boolean) {
  const verb = active ? "enable" : "disable";
  const cmd = defineCommand({
    meta: {
      name: verb,
      description: `${active ? "Re-activate" : "Deactivate"} a key: annopage keys ${active ? "enable" : "disable"} LABEL`,
    },
    args: { ...connectionArgs, ...jsonArg },
    async run({ args }) {
      const [label] = positionals(args, ["label"]) as [string];
      const { api, conn } = apiFromArgs(args);
      const env = await call(conn, `${active ? "enabling" : "disabling"} key ${label}`, () => api.updateKey(label, { active }));
      if (args.json) return printJson({ label, active, code: env.code });
      process.stdout.write(`Key "${label}" ${active ? "enabled" : "disabled"}\n`);
    },
  });
  return withHelp(cmd, { positionals: [["LABEL", "The key's label"]], examples: [`annopage keys ${verb} librarian`] });
}

export default withHelp(
  defineCommand({
    meta: { name: "keys", description: "Manage API keys (admin key): create, list, rotate, disable, enable" },
    subCommands: { create, list, rotate, disable: setActive(false), enable: setActive(true) },
  }),
  {
    examples: ["annopage keys create librarian --role user", "annopage keys list"],
    notes: ["These commands need an admin key (--api-key or ANNOPAGE_API_KEY)."],
  },
);
