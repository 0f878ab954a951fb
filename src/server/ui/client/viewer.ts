/**
 * The page viewer: a page image with the detected elements as boxes coloured by category (SVG over the image), the
 * element's category, confidence, caption and OCR text on hover / focus / click; zoom (buttons, wheel, + and -) and
 * pan (drag, arrow keys) for large scans; previous / next page. Reads GET /v1/jobs/{id}/result/pages; the image comes
 * with the API key header and is shown from a blob URL.
 */
import { api, apiBlob, path } from "./api.ts";
import { categoryColour, errorText } from "./format.ts";
import { html, useEffect, useRef, useState } from "./html.ts";
import type { ResultPage } from "../../../shared/schemas/results.ts";

/** The answer of GET /v1/jobs/{id}/result/pages, typed by its zod schema (a type-only import: nothing of zod is bundled). */
type Page = ResultPage;
type PageElement = ResultPage["elements"][number];

function Details({ el }: { el: PageElement | null }) {
  if (!el) return html`<p class="hint">Point at, focus or click a box to see its element.</p>`;
  return html`<dl class="facts element-details" aria-live="polite">
    <dt>Category</dt><dd><span class="swatch" style=${{ background: categoryColour(el.category) }}></span>${el.category}</dd>
    <dt>Confidence</dt><dd>${el.confidence === null ? "–" : el.confidence.toFixed(2)}</dd>
    <dt>Caption</dt><dd>${el.caption ?? "–"}</dd>
    <dt>OCR text</dt><dd class="ocr">${el.text || "–"}</dd>
    <dt>Box</dt><dd>${el.box.x}, ${el.box.y}, ${el.box.w} × ${el.box.h} px</dd>
  </dl>`;
}

export function ViewerPage({ jobId, page }: { jobId: string; page: number }) {
  const [pages, setPages] = useState<Page[] | null>(null);
  const [error, setError] = useState("");
  const [src, setSrc] = useState<string | null>(null);
  const [natural, setNatural] = useState<{ w: number; h: number } | null>(null);
  const [hover, setHover] = useState<PageElement | null>(null);
  const [picked, setPicked] = useState<PageElement | null>(null);
  const [view, setView] = useState({ scale: 1, x: 0, y: 0 });
  const drag = useRef<{ x: number; y: number; vx: number; vy: number } | null>(null);

  useEffect(() => {
    api<{ pages: Page[] }>("GET", path`/v1/jobs/${jobId}/result/pages`)
      .then((d) => setPages(d.pages))
      .catch((e) => setError(errorText(e)));
  }, [jobId]);
  const index = Math.min(Math.max(1, page), pages?.length ?? 1) - 1;
  const current = pages?.[index];
  useEffect(() => {
    if (!current) return;
    let url: string | null = null;
    const ctl = new AbortController();
    setSrc(null);
    setPicked(null);
    setView({ scale: 1, x: 0, y: 0 });
    apiBlob(path`/v1/jobs/${jobId}/result/pages/${current.name}/image`, ctl.signal)
      .then((b) => setSrc((url = URL.createObjectURL(b))))
      .catch((e) => ctl.signal.aborted || setError(errorText(e)));
    return () => {
      ctl.abort();
      if (url) URL.revokeObjectURL(url);
    };
  }, [current?.name]);

  if (error) return html`<p class="error" role="alert">${error}</p>`;
  if (!pages) return html`<p class="loading">Loading…</p>`;
  if (!current) return html`<p>This result has no pages.</p>`;
  const w = current.width ?? natural?.w ?? 1000;
  const h = current.height ?? natural?.h ?? 1400;
  /** Zooms by `f` keeping the point (ax, ay) of the stage (default: its centre) where it is. */
  const zoom = (f: number, ax?: number, ay?: number) =>
    setView((v) => {
      const stage = document.querySelector(".stage")?.getBoundingClientRect();
      const px = ax ?? (stage ? stage.width / 2 : 0);
      const py = ay ?? (stage ? stage.height / 2 : 0);
      const scale = Math.min(16, Math.max(0.25, v.scale * f));
      const k = scale / v.scale;
      return { scale, x: px - (px - v.x) * k, y: py - (py - v.y) * k };
    });
  const pan = (dx: number, dy: number) => setView((v) => ({ ...v, x: v.x + dx, y: v.y + dy }));
  const go = (n: number) => (location.hash = `#/jobs/${jobId}/view/${n}`);
  const onKey = (e: KeyboardEvent) => {
    const step = 60;
    const keys: Record<string, () => void> = {
      "+": () => zoom(1.25),
      "=": () => zoom(1.25),
      "-": () => zoom(0.8),
      "0": () => setView({ scale: 1, x: 0, y: 0 }),
      ArrowLeft: () => pan(step, 0),
      ArrowRight: () => pan(-step, 0),
      ArrowUp: () => pan(0, step),
      ArrowDown: () => pan(0, -step),
    };
    if (keys[e.key] && (e.target as HTMLElement).classList.contains("stage")) {
      e.preventDefault();
      keys[e.key]!();
    }
  };
  const shown = hover ?? picked;
  const counts = new Map<string, number>();
  for (const el of current.elements) counts.set(el.category, (counts.get(el.category) ?? 0) + 1);
  return html`<section aria-labelledby="viewer-h" class="viewer">
    <p><a href=${`#/jobs/${jobId}`}>← Job</a></p>
    <div class="row">
      <h1 id="viewer-h">${current.name}</h1>
      <span>Page ${index + 1} of ${pages.length} · ${current.elements.length} element${current.elements.length === 1 ? "" : "s"}</span>
    </div>
    <div class="row toolbar" role="toolbar" aria-label="Viewer">
      <button onClick=${() => go(index)} disabled=${index === 0}>← Previous page</button>
      <button onClick=${() => go(index + 2)} disabled=${index >= pages.length - 1}>Next page →</button>
      <button onClick=${() => zoom(1.25)} aria-label="Zoom in">+</button>
      <button onClick=${() => zoom(0.8)} aria-label="Zoom out">−</button>
      <button onClick=${() => setView({ scale: 1, x: 0, y: 0 })}>Fit</button>
      <span>${Math.round(view.scale * 100)} %</span>
    </div>
    <div class="viewer-body">
      <div class="stage" tabindex="0" aria-label="Page image; arrow keys pan, + and - zoom" onKeyDown=${onKey}
        onWheel=${(e: WheelEvent) => {
          e.preventDefault();
          const r = (e.currentTarget as HTMLElement).getBoundingClientRect();
          zoom(e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX - r.left, e.clientY - r.top);
        }}
        onPointerDown=${(e: PointerEvent) => {
          if ((e.target as SVGElement).tagName === "rect") return;
          drag.current = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y };
          (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
        }}
        onPointerMove=${(e: PointerEvent) => {
          const d = drag.current;
          if (d) setView((v) => ({ ...v, x: d.vx + e.clientX - d.x, y: d.vy + e.clientY - d.y }));
        }}
        onPointerUp=${() => (drag.current = null)}>
        <div class="canvas" style=${{ transform: `translate(${view.x}px, ${view.y}px) scale(${view.scale})`, aspectRatio: `${w} / ${h}` }}>
          ${
            src &&
            html`<img src=${src} alt=${`Page ${current.name}`} onLoad=${(e: Event) => {
              const im = e.target as HTMLImageElement;
              setNatural({ w: im.naturalWidth, h: im.naturalHeight });
            }} />`
          }
          <svg viewBox=${`0 0 ${w} ${h}`} preserveAspectRatio="none" role="group" aria-label="Detected elements">
            ${current.elements.map(
              (el) => html`<rect key=${el.id} class=${`box ${picked?.id === el.id ? "picked" : ""}`} data-category=${el.category}
                x=${el.box.x} y=${el.box.y} width=${el.box.w} height=${el.box.h}
                style=${{ stroke: categoryColour(el.category), fill: categoryColour(el.category) }}
                tabindex="0" role="button" aria-label=${`${el.category}${el.confidence === null ? "" : `, confidence ${el.confidence.toFixed(2)}`}`}
                onMouseEnter=${() => setHover(el)} onMouseLeave=${() => setHover(null)}
                onFocus=${() => (setPicked(el), setHover(null))} onClick=${() => (setPicked(el), setHover(null))}
                onKeyDown=${(e: KeyboardEvent) => (e.key === "Enter" || e.key === " ") && setPicked(el)}>
                <title>${el.category}${el.caption ? `: ${el.caption}` : ""}</title>
              </rect>`,
            )}
          </svg>
        </div>
      </div>
      <aside class="side" aria-label="Element">
        <h2>Element</h2>
        <${Details} el=${shown} />
        <h2>Categories</h2>
        <ul class="legend">${[...counts].map(([c, n]) => html`<li><span class="swatch" style=${{ background: categoryColour(c) }}></span>${c} (${n})</li>`)}</ul>
      </aside>
    </div>
  </section>`;
}
