/**
 * The dashboard's calls to the API: the API key lives in sessionStorage (this tab only, gone when it closes) and goes
 * out as the X-API-Key header — never in a URL. Errors carry the API's envelope (status, code, detail).
 */
const KEY = "annopage.apiKey";
export const root: string = document.body.dataset.root ?? "";

export const getKey = () => sessionStorage.getItem(KEY);
export const setKey = (k: string) => sessionStorage.setItem(KEY, k);
export const clearKey = () => sessionStorage.removeItem(KEY);

/** GET /v1/me: who the signed-in key is. */
export interface Me {
  label: string;
  role: "readonly" | "user" | "worker" | "admin";
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
  ) {
    super(`${code}: ${detail}`);
  }
}

export function authHeaders(extra: Record<string, string> = {}): Record<string, string> {
  const key = getKey();
  return key ? { "X-API-Key": key, ...extra } : extra;
}

async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => "");
  try {
    const env = JSON.parse(text);
    return new ApiError(res.status, String(env.code ?? "HTTP_ERROR"), String(env.detail ?? res.statusText));
  } catch {
    return new ApiError(res.status, "HTTP_ERROR", text.slice(0, 200) || res.statusText);
  }
}

/** A request whose answer is the JSON envelope; returns its `data`. */
export async function api<T = unknown>(
  method: string,
  path: string,
  opts: { json?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<T> {
  const headers = authHeaders(opts.headers);
  if (opts.json !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(root + path, {
    method,
    headers,
    body: opts.json === undefined ? undefined : JSON.stringify(opts.json),
    signal: opts.signal,
  });
  if (!res.ok) throw await errorOf(res);
  return ((await res.json()) as { data: T }).data;
}

/** One page of a list that carries its full length in X-Total-Count (GET /v1/jobs?limit=&offset=). */
export async function apiPage<T>(path: string, signal?: AbortSignal): Promise<{ items: T[]; total: number }> {
  const res = await fetch(root + path, { headers: authHeaders(), signal });
  if (!res.ok) throw await errorOf(res);
  const items = ((await res.json()) as { data: T[] }).data;
  return { items, total: Number(res.headers.get("x-total-count") ?? items.length) };
}

/** A binary answer (result ZIP, page image) as a Blob. */
export async function apiBlob(path: string, signal?: AbortSignal): Promise<Blob> {
  const res = await fetch(root + path, { headers: authHeaders(), signal });
  if (!res.ok) throw await errorOf(res);
  return res.blob();
}

/** PUT of one file as the multipart part `file`, reporting upload progress (0..1). */
export function uploadFile(path: string, file: Blob, name: string, onProgress: (fraction: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", root + path);
    for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolve();
      try {
        const env = JSON.parse(xhr.responseText);
        reject(new ApiError(xhr.status, env.code, env.detail));
      } catch {
        reject(new ApiError(xhr.status, "HTTP_ERROR", xhr.statusText));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, "NETWORK_ERROR", "The upload was interrupted."));
    const form = new FormData();
    form.append("file", file, name);
    xhr.send(form);
  });
}

/** Saves a Blob as a download. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export const path = (strings: TemplateStringsArray, ...values: string[]) =>
  strings.reduce((out, s, i) => out + s + (i < values.length ? encodeURIComponent(values[i]!) : ""), "");
