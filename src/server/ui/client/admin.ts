/** Admin: API keys (create and show the key once, disable/enable, rotate the secret) and engines (activate, default). */
import { api, path } from "./api.ts";
import { errorText, when } from "./format.ts";
import { html, useCallback, useEffect, useState } from "./html.ts";

interface Key {
  id: string;
  label: string;
  role: string;
  active: boolean;
  created_date: string;
  last_used: string | null;
}
interface Engine {
  id: string;
  name: string;
  version: string;
  description: string;
  default: boolean;
  active: boolean;
}

function Secret({ secret, onClose }: { secret: string; onClose: () => void }) {
  return html`<div class="card secret" role="alertdialog" aria-labelledby="secret-h">
    <h3 id="secret-h">New key — shown only once</h3>
    <p>Copy it now; the server keeps only its hash.</p>
    <input class="mono" readonly value=${secret} aria-label="New API key" onFocus=${(e: Event) => (e.target as HTMLInputElement).select()} />
    <button onClick=${() => navigator.clipboard?.writeText(secret)}>Copy</button>
    <button class="link" onClick=${onClose}>Done</button>
  </div>`;
}

function Keys() {
  const [keys, setKeys] = useState<Key[]>([]);
  const [label, setLabel] = useState("");
  const [role, setRole] = useState("user");
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState("");
  const load = useCallback(
    () =>
      api<Key[]>("GET", "/v1/admin/keys")
        .then(setKeys)
        .catch((e) => setError(errorText(e))),
    [],
  );
  useEffect(() => void load(), []);
  const run = async (p: Promise<unknown>) => {
    setError("");
    try {
      await p;
    } catch (e) {
      setError(errorText(e));
    }
    await load();
  };
  const create = (e: Event) => {
    e.preventDefault();
    void run(api<{ secret: string }>("POST", "/v1/admin/keys", { json: { label, role } }).then((d) => (setSecret(d.secret), setLabel(""))));
  };
  const rotate = (k: Key) => {
    if (confirm(`Replace the secret of ${k.label}? The old key stops working at once.`)) {
      void run(api<{ secret: string }>("POST", path`/v1/admin/keys/${k.label}/secret`).then((d) => setSecret(d.secret)));
    }
  };
  return html`<section aria-labelledby="keys-h">
    <h2 id="keys-h">API keys</h2>
    <form class="row" onSubmit=${create}>
      <label for="key-label">Label</label>
      <input id="key-label" required maxlength="255" value=${label} onInput=${(e: Event) => setLabel((e.target as HTMLInputElement).value)} />
      <label for="key-role">Role</label>
      <select id="key-role" value=${role} onChange=${(e: Event) => setRole((e.target as HTMLSelectElement).value)}>
        ${["user", "readonly", "worker", "admin"].map((r) => html`<option value=${r}>${r}</option>`)}
      </select>
      <button type="submit">Create key</button>
    </form>
    ${secret && html`<${Secret} secret=${secret} onClose=${() => setSecret(null)} />`}
    ${error && html`<p class="error" role="alert">${error}</p>`}
    <table class="keys">
      <thead><tr><th scope="col">Label</th><th scope="col">Role</th><th scope="col">Active</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Actions</th></tr></thead>
      <tbody>
        ${keys.map(
          (k) => html`<tr key=${k.id} data-key=${k.label}>
            <td>${k.label}</td><td>${k.role}</td><td class="active">${k.active ? "yes" : "no"}</td>
            <td>${when(k.created_date)}</td><td>${when(k.last_used)}</td>
            <td>
              <button onClick=${() => run(api("PATCH", path`/v1/admin/keys/${k.label}`, { json: { active: !k.active } }))}>${k.active ? "Disable" : "Enable"}</button>
              <button onClick=${() => rotate(k)}>Rotate secret</button>
            </td>
          </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}

function Engines() {
  const [engines, setEngines] = useState<Engine[]>([]);
  const [error, setError] = useState("");
  const load = useCallback(
    () =>
      api<Engine[]>("GET", "/v1/engines")
        .then(setEngines)
        .catch((e) => setError(errorText(e))),
    [],
  );
  useEffect(() => void load(), []);
  const update = async (e: Engine, body: Record<string, boolean>) => {
    setError("");
    try {
      await api("PATCH", path`/v1/admin/engines/${e.name}/${e.version}`, { json: body });
    } catch (err) {
      setError(errorText(err));
    }
    await load();
  };
  return html`<section aria-labelledby="engines-h">
    <h2 id="engines-h">Engines</h2>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    <table class="engines">
      <thead><tr><th scope="col">Name</th><th scope="col">Version</th><th scope="col">Description</th><th scope="col">Active</th><th scope="col">Default</th><th scope="col">Actions</th></tr></thead>
      <tbody>
        ${engines.map(
          (e) => html`<tr key=${`${e.name}/${e.version}`} data-engine=${`${e.name}/${e.version}`}>
            <td>${e.name}</td><td>${e.version}</td><td>${e.description}</td><td>${e.active ? "yes" : "no"}</td><td>${e.default ? "yes" : "no"}</td>
            <td>
              <button onClick=${() => update(e, { active: !e.active })}>${e.active ? "Deactivate" : "Activate"}</button>
              ${!e.default && html`<button onClick=${() => update(e, { default: true })}>Make default</button>`}
            </td>
          </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}

export function AdminPage() {
  return html`<h1>Administration</h1><${Keys} /><${Engines} />`;
}
