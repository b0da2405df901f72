// What goes inside a tile: a chart, a table, text, a KPI, insights or a filter control.
// Every user string reaches the DOM through textContent (h() in shared/ui.ts).
import { h } from "../../shared/ui";
import { loadPlotly, type PlotlyElement, type PlotlyEventData } from "../../shared/plotly";
import { currentTheme, themeLayout } from "../../shared/theme";
import { fitAxes } from "./axes";

export interface Figure {
  data?: unknown[];
  layout?: Record<string, unknown>;
}

export interface TableContent {
  columns: string[];
  rows: unknown[][];
  total_rows?: number;
}

export interface KpiContent {
  label: string;
  value_text: string;
  previous_text: string;
  change: number | null;
  change_text: string;
  period: string;
  previous_period: string;
}

export interface InsightsContent {
  sentences: string[];
  skipped?: string[];
}

export interface FilterContent {
  id: string;
  kind: "date_range" | "categories" | "number_range";
  label: string;
  values?: string[] | null;
  low?: number | string | null;
  high?: number | string | null;
  options?: string[];
  more?: number;
  min?: number | string | null;
  max?: number | string | null;
  note?: string;
}

export interface TileContent {
  figure?: Figure;
  table?: TableContent;
  text?: string;
  kpi?: KpiContent;
  insights?: InsightsContent;
  filter?: FilterContent;
  error?: string;
  // A chart or table tile that a filter could not reach says so.
  note?: string;
}

export interface TileActions {
  // A bar or pie slice was clicked.
  crossFilter(point: Record<string, unknown>): void;
  // A filter control changed.
  setFilter(filterId: string, selection: Record<string, unknown>): void;
}

export function drawText(body: HTMLElement, markdown: string): void {
  // Paragraphs and "#" headings only; every string goes in as textContent.
  for (const block of markdown.replace(/\r\n/g, "\n").split(/\n\s*\n/)) {
    const trimmed = block.trim();
    if (!trimmed) continue;
    const heading = /^(#{1,6})\s+(.*)$/s.exec(trimmed);
    const tag = heading ? (`h${Math.min(heading[1].length + 1, 6)}` as "h2") : "p";
    body.appendChild(h(tag, { text: heading ? heading[2] : trimmed }));
  }
}

function cellText(value: unknown): string {
  return value === null || value === undefined ? "" : String(value);
}

export function drawTable(body: HTMLElement, table: TableContent): void {
  const head = h("tr", {}, table.columns.map((name) => h("th", { text: String(name) })));
  const rows = table.rows.map((row) => h("tr", {}, row.map((value) => h("td", { text: cellText(value) }))));
  body.appendChild(h("table", { className: "nbdash-tile-table" }, [h("thead", {}, [head]), h("tbody", {}, rows)]));
  const total = table.total_rows ?? table.rows.length;
  if (total > table.rows.length) {
    body.appendChild(h("div", { className: "nbdash-tile-note", text: `First ${table.rows.length} of ${total} rows.` }));
  }
}

export function drawKpi(body: HTMLElement, kpi: KpiContent): void {
  const direction = kpi.change === null ? "flat" : kpi.change >= 0 ? "up" : "down";
  body.append(
    h("div", { className: "nbdash-kpi-value", text: kpi.value_text }),
    h("div", { className: `nbdash-kpi-change nbdash-kpi-${direction}`, text: kpi.change_text }),
    h("div", { className: "nbdash-tile-note", text: `${kpi.period} vs ${kpi.previous_period} (${kpi.previous_text})` }),
  );
}

export function drawInsights(body: HTMLElement, insights: InsightsContent): void {
  if (insights.sentences.length === 0) {
    const reasons = (insights.skipped ?? []).join(" ");
    body.appendChild(h("div", { className: "nbdash-tile-note", text: `No insights found. ${reasons}`.trim() }));
    return;
  }
  body.appendChild(h("ul", { className: "nbdash-insights" }, insights.sentences.map((s) => h("li", { text: s }))));
}

const CLICKABLE_TYPES = new Set(["bar", "pie"]);

export function drawChart(body: HTMLElement, figure: Figure, actions: TileActions): void {
  const layout: Record<string, unknown> = { ...fitAxes(figure.layout ?? {}, figure.data ?? []), autosize: true };
  // The tile's header shows the title: the plot keeps its height for the data.
  delete layout.title;
  layout.margin = { l: 56, r: 16, t: 16, b: 48 };
  delete layout.width;
  delete layout.height;
  const config = { responsive: true, displaylogo: false };
  loadPlotly()
    .then(async (Plotly) => {
      const started = performance.now();
      await Plotly.react(body, figure.data ?? [], themeLayout(layout, currentTheme(body)), config);
      // One measure a chart drawn, read by benchmarks/bench_dashboard.py.
      performance.measure("nbdash:plot", { start: started });
      const plot = body as PlotlyElement;
      plot.removeAllListeners?.("plotly_click");
      plot.on?.("plotly_click", (event: PlotlyEventData) => {
        const point = event.points?.[0];
        if (!point || !CLICKABLE_TYPES.has(point.data?.type ?? "")) return;
        actions.crossFilter({ x: point.x, y: point.y, label: point.label });
      });
      body.dataset.drawn = "true";
      // The tile's ResizeObserver skips a chart still being drawn: one measured while
      // its tile had no size (a theme's stylesheet being swapped) kept plotly's 700x450
      // and overflowed the tile, until something else resized it.
      requestAnimationFrame(() => {
        const drawnWidth = body.querySelector(".main-svg")?.getBoundingClientRect().width;
        if (body.clientWidth > 0 && drawnWidth !== undefined && Math.abs(drawnWidth - body.clientWidth) > 1) {
          Plotly.Plots.resize(body);
        }
      });
    })
    .catch((error: Error) => {
      body.replaceChildren(h("div", { className: "nbdash-tile-error", text: `Chart not drawn: ${error.message}` }));
    });
}

function drawCategories(body: HTMLElement, filter: FilterContent, actions: TileActions): void {
  const chosen = new Set(filter.values ?? []);
  const list = h("div", { className: "nbdash-filter-options" });
  for (const option of filter.options ?? []) {
    const box = h("input", { attrs: { type: "checkbox" } });
    box.checked = chosen.has(option);
    box.addEventListener("change", () => {
      if (box.checked) chosen.add(option);
      else chosen.delete(option);
      actions.setFilter(filter.id, { values: chosen.size ? [...chosen] : null });
    });
    list.appendChild(h("label", { className: "nbdash-filter-option", title: option }, [box, h("span", { text: option })]));
  }
  body.appendChild(list);
  if (filter.more) body.appendChild(h("div", { className: "nbdash-tile-note", text: `${filter.more} more values not listed.` }));
}

function drawRange(body: HTMLElement, filter: FilterContent, actions: TileActions): void {
  const type = filter.kind === "date_range" ? "date" : "number";
  const input = (value: unknown, bound: unknown, name: string) => {
    const field = h("input", { className: "nbdash-filter-input", attrs: { type, "aria-label": name } });
    if (bound !== null && bound !== undefined) field.setAttribute(name === "from" ? "min" : "max", String(bound));
    field.placeholder = bound === null || bound === undefined ? "" : String(bound);
    field.value = value === null || value === undefined ? "" : String(value);
    return field;
  };
  const low = input(filter.low, filter.min, "from");
  const high = input(filter.high, filter.max, "to");
  const read = (field: HTMLInputElement) => {
    if (field.value === "") return null;
    return type === "number" ? Number(field.value) : field.value;
  };
  const send = () => actions.setFilter(filter.id, { low: read(low), high: read(high) });
  low.addEventListener("change", send);
  high.addEventListener("change", send);
  body.appendChild(h("div", { className: "nbdash-filter-range" }, [low, h("span", { text: "to" }), high]));
}

export function drawFilter(body: HTMLElement, filter: FilterContent, actions: TileActions): void {
  if (filter.kind === "categories") drawCategories(body, filter, actions);
  else drawRange(body, filter, actions);
  if (filter.note) body.appendChild(h("div", { className: "nbdash-tile-note", text: filter.note }));
}
