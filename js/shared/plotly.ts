// plotly.js, loaded once per page and only when a chart is about to be drawn.
//
// Widget bundles must stay small: anywidget stores each widget's `_esm` in the saved
// widget state, so embedding plotly (1.4 MB) in every bundle made notebooks heavy. The
// build (js/build.mjs) writes plotly as an ES module into the lab extension's static
// folder, which JupyterLab serves at `<base>/lab/extensions/nbdash/static/` and Voila at
// `<base>/voila/labextensions/nbdash/static/`. Pages with no server behind them
// (nbconvert HTML) fall back to a CDN copy, and a page that already has a global
// `Plotly` (the standalone HTML export) uses that one.

export interface PlotlyFigure {
  data?: unknown[];
  layout?: Record<string, unknown>;
}

export interface PlotlyElement extends HTMLElement {
  on?(event: string, handler: (data: PlotlyEventData) => void): void;
  removeAllListeners?(event: string): void;
}

export interface PlotlyPoint {
  x?: unknown;
  y?: unknown;
  label?: unknown;
  curveNumber?: number;
  pointNumber?: number;
  data?: { type?: string; name?: string; orientation?: string };
}

export interface PlotlyEventData {
  points?: PlotlyPoint[];
}

export interface PlotlyApi {
  react(root: HTMLElement, data: unknown[], layout?: unknown, config?: unknown): Promise<unknown>;
  relayout(root: HTMLElement, update: Record<string, unknown>): Promise<unknown>;
  purge(root: HTMLElement): void;
  Plots: { resize(root: HTMLElement): void };
}

const FILE = "plotly-cartesian.js";
const EXTENSION = "nbdash";
const CDN_URL = "https://cdn.jsdelivr.net/npm/plotly.js-cartesian-dist-min@3/+esm";
const CONFIG_SCRIPT_ID = "jupyter-config-data";

let loading: Promise<PlotlyApi> | undefined;
let loaded: PlotlyApi | undefined;

// The page's Jupyter configuration (JupyterLab and Voila both embed it as JSON).
function pageConfig(): Record<string, unknown> {
  const script = document.getElementById(CONFIG_SCRIPT_ID);
  if (!script?.textContent) return {};
  try {
    const value: unknown = JSON.parse(script.textContent);
    return value !== null && typeof value === "object" ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}

// Where a file of the lab extension's static folder may be found, most likely first,
// then `cdn` for pages no Jupyter server serves.
export function extensionUrls(file: string, cdn: string): string[] {
  const config = pageConfig();
  const urls: string[] = [];
  const extensions = config.fullLabextensionsUrl;
  if (typeof extensions === "string" && extensions) {
    urls.push(joinUrl(extensions, `${EXTENSION}/static/${file}`));
  }
  const base = typeof config.baseUrl === "string" ? config.baseUrl : undefined;
  if (base !== undefined) {
    urls.push(joinUrl(base, `lab/extensions/${EXTENSION}/static/${file}`));
    urls.push(joinUrl(base, `voila/labextensions/${EXTENSION}/static/${file}`));
  }
  urls.push(cdn);
  return [...new Set(urls)].map((url) => new URL(url, document.baseURI).href);
}

// Where plotly may be found, most likely first.
export function plotlyUrls(): string[] {
  return extensionUrls(FILE, CDN_URL);
}

// The default export of the first of `urls` that imports and passes `accept`.
export async function importFirst<T>(urls: string[], accept: (value: unknown) => value is T, what: string): Promise<T> {
  const failures: string[] = [];
  for (const url of urls) {
    try {
      const module: { default?: unknown } = await import(/* webpackIgnore: true */ url);
      if (accept(module.default)) return module.default;
      failures.push(`${url}: not the expected module`);
    } catch (error) {
      failures.push(`${url}: ${(error as Error).message}`);
    }
  }
  throw new Error(`${what} could not be loaded (tried ${failures.join("; ")}).`);
}

function isPlotly(value: unknown): value is PlotlyApi {
  return value !== null && typeof value === "object" && typeof (value as PlotlyApi).react === "function";
}

// The plotly API, loaded on first use; later calls share the same promise.
export function loadPlotly(): Promise<PlotlyApi> {
  const global = (globalThis as { Plotly?: unknown }).Plotly;
  if (isPlotly(global)) return Promise.resolve(global);
  if (loading === undefined) {
    performance.mark("nbdash:plotly-load-start");
    loading = importFirst(plotlyUrls(), isPlotly, "plotly.js").then((api) => {
      // Timing marks for benchmarks/bench_dashboard.py (fetch and parse of plotly).
      performance.measure("nbdash:plotly-load", "nbdash:plotly-load-start");
      return (loaded = api);
    });
    // A failed load may succeed later (a server started, a network back): retry then.
    loading.catch(() => (loading = undefined));
  }
  return loading;
}

// The plotly API when it is loaded already (for cleanup paths that must not wait).
export function plotlyIfLoaded(): PlotlyApi | undefined {
  const global = (globalThis as { Plotly?: unknown }).Plotly;
  return isPlotly(global) ? global : loaded;
}
