/** The dashboard: sign-in with an API key, then a hash-routed single page (jobs, job, viewer, submit, admin). */
import { api, ApiError, clearKey, getKey, setKey, type Me } from "./api.ts";
import { html, render, useEffect, useState } from "./html.ts";
import { AdminPage } from "./admin.ts";
import { JobPage } from "./job.ts";
import { JobsPage } from "./jobs.ts";
import { SubmitPage } from "./submit.ts";
import { ViewerPage } from "./viewer.ts";
import { errorText } from "./format.ts";

function useHash(): string {
  const [hash, setHash] = useState(location.hash || "#/jobs");
  useEffect(() => {
    const on = () => setHash(location.hash || "#/jobs");
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return hash;
}

function SignIn({ onSignedIn, message }: { onSignedIn: (me: Me) => void; message?: string }) {
  const [key, setKeyValue] = useState("");
  const [error, setError] = useState(message ?? "");
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError("");
    setKey(key.trim());
    try {
      onSignedIn(await api<Me>("GET", "/v1/me"));
    } catch (err) {
      clearKey();
      setError(err instanceof ApiError && err.status === 401 ? "This API key is not valid." : errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return html`<main class="signin">
    <h1>AnnoPage</h1>
    <form onSubmit=${submit} class="card">
      <label for="apikey">API key</label>
      <input id="apikey" type="password" autocomplete="off" required value=${key} onInput=${(e: Event) => setKeyValue((e.target as HTMLInputElement).value)} />
      <p class="hint">Kept in this browser tab only (session storage) and sent as the <code>X-API-Key</code> header.</p>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <button type="submit" disabled=${busy}>Sign in</button>
    </form>
  </main>`;
}

function Nav({ me, hash, onSignOut }: { me: Me; hash: string; onSignOut: () => void }) {
  const link = (href: string, label: string) =>
    html`<a href=${href} aria-current=${hash === href || (href === "#/jobs" && hash.startsWith("#/jobs")) ? "page" : undefined}>${label}</a>`;
  return html`<header class="top">
    <span class="brand">AnnoPage</span>
    <nav aria-label="Main">
      ${link("#/jobs", "Jobs")} ${me.role !== "readonly" && link("#/submit", "Submit")} ${me.role === "admin" && link("#/admin", "Admin")}
    </nav>
    <span class="who">${me.label} (${me.role})</span>
    <button class="link" onClick=${onSignOut}>Sign out</button>
  </header>`;
}

function App() {
  const hash = useHash();
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(Boolean(getKey()));
  const [message, setMessage] = useState<string | undefined>();
  useEffect(() => {
    if (!getKey()) return;
    api<Me>("GET", "/v1/me")
      .then(setMe)
      .catch(() => {
        clearKey();
        setMessage("Please sign in again.");
      })
      .finally(() => setChecking(false));
  }, []);
  if (checking) return html`<p class="loading">Loading…</p>`;
  if (!me) return html`<${SignIn} onSignedIn=${setMe} message=${message} />`;
  const signOut = () => {
    clearKey();
    setMe(null);
    location.hash = "#/jobs";
  };
  if (me.role === "worker") {
    return html`<${Nav} me=${me} hash=${hash} onSignOut=${signOut} /><main><p class="error">Worker keys cannot use the dashboard.</p></main>`;
  }
  const parts = hash.slice(2).split("/");
  let page: ReturnType<typeof html>;
  if (parts[0] === "submit" && me.role !== "readonly") page = html`<${SubmitPage} />`;
  else if (parts[0] === "admin" && me.role === "admin") page = html`<${AdminPage} />`;
  else if (parts[0] === "jobs" && parts[1] && parts[2] === "view")
    page = html`<${ViewerPage} jobId=${parts[1]} page=${Number(parts[3] ?? 1)} />`;
  else if (parts[0] === "jobs" && parts[1]) page = html`<${JobPage} jobId=${parts[1]} me=${me} />`;
  else page = html`<${JobsPage} me=${me} />`;
  return html`<${Nav} me=${me} hash=${hash} onSignOut=${signOut} /><main>${page}</main>`;
}

render(html`<${App} />`, document.getElementById("app")!);
