/** Small display helpers. */
export const STATES = ["new", "queued", "processing", "done", "error", "failed", "cancelled"] as const;

export function when(iso: unknown): string {
  if (typeof iso !== "string") return "–";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" });
}

export const percent = (p: unknown) => `${Math.round(Math.max(0, Math.min(1, Number(p) || 0)) * 100)} %`;

/** A colour per element category (stable: hashed name → hue), dark enough for white text. */
export function categoryColour(category: string): string {
  let hash = 0;
  for (const ch of category) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return `hsl(${hash % 360} 80% 38%)`;
}

export const isFinished = (state: unknown) => state === "done" || state === "error" || state === "failed" || state === "cancelled";

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
