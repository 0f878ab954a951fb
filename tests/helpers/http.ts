/**
 * The tests' one HTTP client for a test server: real fetch, the key in X-API-Key, a JSON or multipart body, the answer
 * read whole (its text, and its JSON when it is JSON); redirects are answers, not followed. Requests no HTTP client
 * will send (malformed framing, one pinned connection) go through tests/helpers/raw-socket.ts.
 *
 *   const req = client(server, server.adminKey);
 *   const r = await req("POST", "/v1/jobs", { json: { images: [...] } });
 */

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export interface RequestOpts {
  json?: unknown;
  raw?: BodyInit;
  file?: Uint8Array | string;
  fileName?: string;
  headers?: Record<string, string>;
  key?: string | null;
}

export function client(s: { url: string }, defaultKey: string) {
  return async function req(method: string, path: string, o: RequestOpts = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = { ...o.headers };
    const key = o.key === undefined ? defaultKey : o.key;
    if (key) headers["x-api-key"] = key;
    let body: BodyInit | undefined = o.raw;
    if (o.json !== undefined) {
      body = JSON.stringify(o.json);
      headers["content-type"] ??= "application/json";
    }
    if (o.file !== undefined) {
      const fd = new FormData();
      fd.append("file", new Blob([o.file as BlobPart]), o.fileName ?? "file");
      body = fd;
    }
    const r = await fetch(`${s.url}${path}`, { method, headers, body, redirect: "manual" });
    const text = await r.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: r.status, headers: r.headers, text, body: parsed };
  };
}
