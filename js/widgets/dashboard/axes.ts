// Axis layout for charts drawn in small tiles: long category labels are shortened
// (the hover still names the whole category) and axis titles keep their distance.

const MAX_LABEL_CHARS = 14;
const TITLE_STANDOFF_PX = 6;
const DATE_LIKE = /^\d{4}-\d{2}(-\d{2})?([ T]|$)/;

interface Trace {
  type?: string;
  x?: unknown;
  y?: unknown;
}

// The figure's labels arrive HTML-escaped (plotly reads tick text as markup):
// shorten the text the reader sees, then escape it again.
function unescapeLabel(text: string): string {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&");
}

function escapeLabel(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function shortLabel(label: string, limit = MAX_LABEL_CHARS): string {
  const plain = [...unescapeLabel(label)];
  if (plain.length <= limit) return label;
  return escapeLabel(`${plain.slice(0, limit - 1).join("")}\u2026`);
}

// The distinct text values of one axis over the figure's cartesian traces, in order;
// undefined when any value is not text or looks like a date (not a category axis).
function categories(data: unknown[], axis: "x" | "y"): string[] | undefined {
  const seen = new Set<string>();
  for (const trace of data as Trace[]) {
    if (trace.type === "pie") return undefined;
    const values = trace[axis];
    if (!Array.isArray(values)) continue;
    for (const value of values) {
      if (typeof value !== "string" || DATE_LIKE.test(value)) return undefined;
      seen.add(value);
    }
  }
  return seen.size ? [...seen] : undefined;
}

// A copy of `layout` whose category axes show shortened labels and whose axis titles
// sit `TITLE_STANDOFF_PX` past the tick labels, margins growing to fit (automargin).
export function fitAxes(layout: Record<string, unknown>, data: unknown[]): Record<string, unknown> {
  const fitted: Record<string, unknown> = { ...layout };
  for (const axis of ["x", "y"] as const) {
    const key = `${axis}axis`;
    const settings: Record<string, unknown> = { ...((layout[key] as object) ?? {}), automargin: true };
    const title = settings.title;
    if (title !== undefined && title !== null) {
      const base = typeof title === "string" ? { text: title } : (title as object);
      settings.title = { ...base, standoff: TITLE_STANDOFF_PX };
    }
    const labels = categories(data, axis);
    if (labels && labels.some((label) => shortLabel(label) !== label) && settings.tickvals === undefined) {
      settings.tickmode = "array";
      settings.tickvals = labels;
      settings.ticktext = labels.map((label) => shortLabel(label));
    }
    fitted[key] = settings;
  }
  return fitted;
}
