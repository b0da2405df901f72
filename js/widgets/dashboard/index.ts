// The Dashboard view: a gridstack grid with one item per tile. Charts are drawn with
// plotly inside this one widget; drags and resizes go back to the kernel as `layout`
// messages, which validates them and saves them in the notebook.
import { GridStack, type GridItemHTMLElement, type GridStackNode } from "gridstack";
import gridCss from "gridstack/dist/gridstack.min.css";
import { Rpc, type AnyModel } from "../../shared/rpc";
import { h, injectStyle, errorBanner, debounce } from "../../shared/ui";
import { loadPlotly, plotlyIfLoaded } from "../../shared/plotly";
import { currentTheme, themeLayout, onThemeChange } from "../../shared/theme";
import baseCss from "../../shared/base.css";
import css from "./style.css";

const LAYOUT_DELAY_MS = 300;
const CELL_HEIGHT_PX = 80;
const METADATA_SCRIPT_ID = "nbdash-notebook-metadata";

interface TileSpec {
  id: string;
  kind: "chart" | "table" | "text";
  title?: string;
}

interface Place {
  x: number;
  y: number;
  w: number;
  h: number;
}

interface DashboardSpec {
  name: string;
  tiles: TileSpec[];
  layout: Record<string, Place>;
}

interface Figure {
  data?: unknown[];
  layout?: Record<string, unknown>;
}

interface TableContent {
  columns: string[];
  rows: unknown[][];
  total_rows?: number;
}

interface TileContent {
  figure?: Figure;
  table?: TableContent;
  text?: string;
  error?: string;
}

interface LayoutItem extends Place {
  id: string;
}

interface TileView {
  item: GridItemHTMLElement;
  title: HTMLElement;
  body: HTMLElement;
  drawn: string;
}

function drawText(body: HTMLElement, markdown: string): void {
  // Paragraphs and "#" headings only; every string goes in as textContent.
  for (const block of markdown.replace(/\r\n/g, "\n").split(/\n\s*\n/)) {
    const trimmed = block.trim();
    if (!trimmed) continue;
    const heading = /^(#{1,6})\s+(.*)$/s.exec(trimmed);
    const tag = heading ? (`h${Math.min(heading[1].length + 1, 6)}` as "h2") : "p";
    body.appendChild(h(tag, { text: heading ? heading[2] : trimmed }));
  }
}

function drawTable(body: HTMLElement, table: TableContent): void {
  const head = h("tr", {}, table.columns.map((name) => h("th", { text: String(name) })));
  const rows = table.rows.map((row) =>
    h("tr", {}, row.map((value) => h("td", { text: value === null || value === undefined ? "" : String(value) }))),
  );
  body.appendChild(h("table", { className: "nbdash-tile-table" }, [h("thead", {}, [head]), h("tbody", {}, rows)]));
  const total = table.total_rows ?? table.rows.length;
  if (total > table.rows.length) {
    body.appendChild(h("div", { className: "nbdash-tile-note", text: `First ${table.rows.length} of ${total} rows.` }));
  }
}

function drawChart(body: HTMLElement, figure: Figure): void {
  const layout: Record<string, unknown> = { ...(figure.layout ?? {}), autosize: true, margin: { l: 48, r: 16, t: 24, b: 40 } };
  delete layout.width;
  delete layout.height;
  loadPlotly()
    .then((Plotly) => Plotly.react(body, figure.data ?? [], themeLayout(layout, currentTheme(body)), { responsive: true, displaylogo: false }))
    .catch((error: Error) => body.replaceChildren(h("div", { className: "nbdash-tile-error", text: `Chart not drawn: ${error.message}` })));
}

function drawContent(view: TileView, content: TileContent | undefined): void {
  const key = JSON.stringify(content ?? null);
  if (key === view.drawn) return;
  view.drawn = key;
  if (view.body.classList.contains("nbdash-chart")) plotlyIfLoaded()?.purge(view.body);
  view.body.replaceChildren();
  view.body.className = "nbdash-tile-body";

  if (!content) {
    view.body.appendChild(h("div", { className: "nbdash-tile-note", text: "Computing..." }));
  } else if (content.error !== undefined) {
    view.body.appendChild(h("div", { className: "nbdash-tile-error", text: content.error }));
  } else if (content.figure) {
    view.body.classList.add("nbdash-chart");
    drawChart(view.body, content.figure);
  } else if (content.table) {
    drawTable(view.body, content.table);
  } else if (content.text !== undefined) {
    drawText(view.body, content.text);
  }
}

function savedMetadata(): unknown | undefined {
  // The nbdash Voila template embeds the notebook's metadata.nbdash in the page.
  const script = document.getElementById(METADATA_SCRIPT_ID);
  if (!script?.textContent) return undefined;
  try {
    return JSON.parse(script.textContent);
  } catch {
    return undefined;
  }
}

function render({ model, el: root }: { model: AnyModel; el: HTMLElement }): () => void {
  const rpc = new Rpc(model);
  const container = h("div", { className: "nbdash-root nbdash-dashboard" });
  injectStyle(container, gridCss + baseCss + css);
  const banner = errorBanner(model, container);
  const empty = h("div", { className: "nbdash-empty", text: "No tiles yet: add charts, tables or text from Python or the chart picker." });
  const gridEl = h("div", { className: "grid-stack" });
  container.append(empty, gridEl);
  root.appendChild(container);

  const grid = GridStack.init(
    { column: 12, cellHeight: CELL_HEIGHT_PX, float: false, margin: 4, handle: ".nbdash-tile-title" },
    gridEl,
  );
  const views = new Map<string, TileView>();
  let applying = false;

  const sendLayout = debounce(() => {
    const items: LayoutItem[] = grid.getGridItems().flatMap((item) => {
      const node: GridStackNode | undefined = item.gridstackNode;
      if (!node || typeof node.id !== "string") return [];
      return [{ id: node.id, x: node.x ?? 0, y: node.y ?? 0, w: node.w ?? 1, h: node.h ?? 1 }];
    });
    rpc.request("layout", { items }).catch((error: Error) => banner.show(error.message));
  }, LAYOUT_DELAY_MS);

  function addTile(tile: TileSpec, place: Place | undefined): TileView {
    const title = h("div", { className: "nbdash-tile-title", text: tile.title ?? "" });
    const body = h("div", { className: "nbdash-tile-body" });
    const content = h("div", { className: "grid-stack-item-content" }, [title, body]);
    const element = h("div", { className: "grid-stack-item" }, [content]);
    gridEl.appendChild(element);
    const item = grid.makeWidget(element, { id: tile.id, ...(place ?? { w: 6, h: 4 }) });
    return { item, title, body, drawn: "" };
  }

  function syncTiles(): void {
    const spec = (model.get("spec") ?? { tiles: [], layout: {} }) as DashboardSpec;
    const wanted = new Set(spec.tiles.map((tile) => tile.id));
    applying = true;
    grid.batchUpdate();
    for (const [id, view] of views) {
      if (wanted.has(id)) continue;
      plotlyIfLoaded()?.purge(view.body);
      grid.removeWidget(view.item);
      views.delete(id);
    }
    for (const tile of spec.tiles) {
      const place = spec.layout[tile.id];
      const view = views.get(tile.id);
      if (!view) views.set(tile.id, addTile(tile, place));
      else {
        view.title.textContent = tile.title ?? "";
        if (place) grid.update(view.item, place);
      }
    }
    grid.batchUpdate(false);
    applying = false;
    empty.hidden = spec.tiles.length > 0;
    syncContent();
  }

  function syncContent(): void {
    const contents = (model.get("tiles_content") ?? {}) as Record<string, TileContent>;
    for (const [id, view] of views) drawContent(view, contents[id]);
  }

  const onChange = () => {
    if (!applying) sendLayout();
  };
  const onResizeStop = (_event: Event, item: GridItemHTMLElement) => {
    const body = item.querySelector<HTMLElement>(".nbdash-chart");
    if (body) plotlyIfLoaded()?.Plots.resize(body);
  };
  grid.on("change", onChange);
  grid.on("resizestop", onResizeStop);
  model.on("change:spec", syncTiles);
  model.on("change:tiles_content", syncContent);
  syncTiles();
  const stopTheme = onThemeChange(() => {
    for (const view of views.values()) view.drawn = "";
    syncContent();
  });

  const metadata = savedMetadata();
  if (metadata !== undefined) {
    rpc.request("notebook_metadata", { value: metadata }).catch((error: Error) => banner.show(error.message));
  }

  return () => {
    sendLayout.cancel();
    stopTheme();
    model.off("change:spec", syncTiles);
    model.off("change:tiles_content", syncContent);
    grid.off("change");
    grid.off("resizestop");
    for (const view of views.values()) plotlyIfLoaded()?.purge(view.body);
    grid.destroy(true);
    banner.dispose();
    rpc.dispose();
    container.remove();
  };
}

export default { render };
