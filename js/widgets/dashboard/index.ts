// The Dashboard view: a toolbar (dashboard selector, HTML export), a "filters applied"
// bar, and a gridstack grid with one item per tile. Charts are drawn with plotly (loaded
// once, lazily) inside this one widget. Every gesture goes to the kernel as a message;
// the kernel validates it, recomputes only the affected tiles and saves the spec.
import type { GridStack, GridItemHTMLElement, GridStackNode } from "gridstack";
import gridCss from "gridstack/dist/gridstack.min.css";
import { Rpc, type AnyModel } from "../../shared/rpc";
import { h, injectStyle, errorBanner, debounce } from "../../shared/ui";
import { extensionUrls, importFirst, loadPlotly, plotlyIfLoaded } from "../../shared/plotly";
import { onThemeChange } from "../../shared/theme";
import baseCss from "../../shared/base.css";
import css from "./style.css";
import { drawChart, drawFilter, drawInsights, drawKpi, drawTable, drawText, type TileActions, type TileContent } from "./tiles";
import { editForm, type EditableTile } from "./editor";

const LAYOUT_DELAY_MS = 300;
const CELL_HEIGHT_PX = 80;
const COLUMNS = 12;
const NARROW_PX = 700;
// How long a tile the user just added stays highlighted (the CSS animation's length).
const HIGHLIGHT_MS = 1800;
const METADATA_SCRIPT_ID = "nbdash-notebook-metadata";
const GRIDSTACK_CDN = "https://cdn.jsdelivr.net/npm/gridstack@12/+esm";

type GridStackClass = typeof GridStack;
let gridstack: Promise<GridStackClass> | undefined;

// gridstack (like plotly) is served by the lab extension, not carried in this bundle:
// anywidget saves the bundle in the notebook's widget state.
function loadGridStack(): Promise<GridStackClass> {
  const isGridStack = (value: unknown): value is GridStackClass =>
    typeof value === "function" && typeof (value as GridStackClass).init === "function";
  if (gridstack === undefined) {
    gridstack = importFirst(extensionUrls("gridstack.js", GRIDSTACK_CDN), isGridStack, "gridstack");
    gridstack.catch(() => (gridstack = undefined));
  }
  return gridstack;
}

interface Place {
  x: number;
  y: number;
  w: number;
  h: number;
}

interface DashboardSpec {
  name: string;
  tiles: EditableTile[];
  layout: Record<string, Place>;
}

interface LayoutItem extends Place {
  id: string;
}

interface AppliedFilter {
  id: string;
  text: string;
}

// "window": the browser's Fullscreen API; "overlay": a fixed box over the page, for
// when the browser refuses (an iframe without allow="fullscreen").
type FullScreen = "" | "window" | "overlay";

interface TileView {
  item: GridItemHTMLElement;
  frame: HTMLElement;
  title: HTMLElement;
  body: HTMLElement;
  fullScreenButton: HTMLButtonElement;
  drawn: string;
  editing: boolean;
  fullScreen: FullScreen;
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

function iconButton(label: string, symbol: string, onClick: () => void): HTMLButtonElement {
  const node = h("button", { className: "nbdash-icon", text: symbol, title: label, attrs: { type: "button", "aria-label": label } });
  node.addEventListener("click", (event) => {
    event.stopPropagation();
    onClick();
  });
  return node;
}

function download(bytes: DataView, filename: string): void {
  const blob = new Blob([bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer], { type: "text/html" });
  const url = URL.createObjectURL(blob);
  const link = h("a", { attrs: { href: url, download: filename } });
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function drawContent(view: TileView, content: TileContent | undefined, actions: TileActions): void {
  const key = JSON.stringify(content ?? null);
  if (key === view.drawn || view.editing) return;
  view.drawn = key;
  if (view.body.classList.contains("nbdash-chart")) plotlyIfLoaded()?.purge(view.body);
  view.body.replaceChildren();
  view.body.className = "nbdash-tile-body";
  delete view.body.dataset.drawn;

  if (!content) view.body.appendChild(h("div", { className: "nbdash-tile-note", text: "Computing..." }));
  else if (content.error !== undefined) view.body.appendChild(h("div", { className: "nbdash-tile-error", text: content.error }));
  else if (content.figure) {
    view.body.classList.add("nbdash-chart");
    drawChart(view.body, content.figure, actions);
  } else if (content.table) drawTable(view.body, content.table);
  else if (content.kpi) drawKpi(view.body, content.kpi);
  else if (content.insights) drawInsights(view.body, content.insights);
  else if (content.filter) drawFilter(view.body, content.filter, actions);
  else if (content.text !== undefined) drawText(view.body, content.text);
  // A filter that could not reach this tile (its column is gone) is named above the body.
  view.frame.querySelector(":scope > .nbdash-tile-unfiltered")?.remove();
  if (content?.note) view.body.before(h("div", { className: "nbdash-tile-note nbdash-tile-unfiltered", text: content.note, attrs: { style: "padding: 2px 8px" } }));
}

function hasFigures(model: AnyModel): boolean {
  const contents = model.get("tiles_content") as Record<string, TileContent> | null;
  return Object.values(contents ?? {}).some((content) => content?.figure !== undefined);
}

function render({ model, el: root }: { model: AnyModel; el: HTMLElement }): () => void {
  let cleanup: (() => void) | undefined;
  let closed = false;
  const waiting = h("div", { className: "nbdash-tile-note", text: "Loading dashboard..." });
  root.appendChild(waiting);
  performance.mark("nbdash:render");
  // plotly is fetched while gridstack is: the charts need it right after the grid.
  if (hasFigures(model)) loadPlotly().catch(() => undefined);
  loadGridStack()
    .then((GridStackClass) => {
      performance.measure("nbdash:gridstack-load", "nbdash:render");
      waiting.remove();
      if (!closed) cleanup = mount(GridStackClass, model, root);
    })
    .catch((error: Error) => (waiting.textContent = `The dashboard cannot be shown: ${error.message}`));
  return () => {
    closed = true;
    waiting.remove();
    cleanup?.();
  };
}

function mount(GridStackClass: GridStackClass, model: AnyModel, root: HTMLElement): () => void {
  const rpc = new Rpc(model);
  const container = h("div", { className: "nbdash-root nbdash-dashboard" });
  injectStyle(container, gridCss + baseCss + css);
  const banner = errorBanner(model, container);
  const report = (error: Error) => banner.show(error.message);
  const call = (kind: string, fields: Record<string, unknown> = {}) => rpc.request(kind, fields).catch(report);

  const picker = h("select", { className: "nbdash-dashboard-select", attrs: { "aria-label": "Dashboard" } });
  const exportButton = h("button", { className: "nbdash-button nbdash-export", text: "Export HTML", attrs: { type: "button" } });
  const toolbar = h("div", { className: "nbdash-toolbar" }, [picker, exportButton]);
  const appliedList = h("span", { className: "nbdash-applied-list" });
  const clearButton = h("button", { className: "nbdash-button nbdash-clear-filters", text: "Clear filters", attrs: { type: "button" } });
  const appliedBar = h("div", { className: "nbdash-applied", attrs: { role: "status" } }, [h("span", { text: "Filters applied: " }), appliedList, clearButton]);
  const empty = h("div", { className: "nbdash-empty", text: "No tiles yet: add charts, tables or text from Python or the chart picker." });
  const gridEl = h("div", { className: "grid-stack" });
  container.append(toolbar, appliedBar, empty, gridEl);
  root.appendChild(container);

  const grid = GridStackClass.init(
    {
      column: COLUMNS,
      cellHeight: CELL_HEIGHT_PX,
      float: false,
      margin: 4,
      handle: ".nbdash-tile-title",
      columnOpts: { breakpoints: [{ w: NARROW_PX, c: 1 }], layout: "list" },
    },
    gridEl,
  );
  const views = new Map<string, TileView>();
  // Tiles the user added here (the picker, duplicate) that the view scrolls to once
  // they exist; the tiles of a saved dashboard, drawn on load, are never in it.
  const toReveal = new Set<string>();
  // A chart drawn while its tile had no size (a theme's stylesheet being swapped, a
  // hidden tab) keeps plotly's default 700x450 and overflows the tile: fit every
  // drawn chart again whenever its tile's body changes size.
  const resizer = new ResizeObserver((entries) => {
    for (const entry of entries) {
      const body = entry.target as HTMLElement;
      const drawn = body.classList.contains("nbdash-chart") && body.dataset.drawn === "true";
      if (drawn && entry.contentRect.width > 0) plotlyIfLoaded()?.Plots.resize(body);
    }
  });
  let applying = false;

  const sendLayout = debounce(() => {
    // A narrow screen shows one column; its positions are not the saved layout.
    if (grid.getColumn() !== COLUMNS) return;
    const items: LayoutItem[] = grid.getGridItems().flatMap((item) => {
      const node: GridStackNode | undefined = item.gridstackNode;
      if (!node || typeof node.id !== "string") return [];
      return [{ id: node.id, x: node.x ?? 0, y: node.y ?? 0, w: node.w ?? 1, h: node.h ?? 1 }];
    });
    call("layout", { items });
  }, LAYOUT_DELAY_MS);

  function actionsFor(tileId: string): TileActions {
    return {
      crossFilter: (point) => call("cross_filter", { tile: tileId, point }),
      setFilter: (filter, selection) => call("set_filter", { filter, ...selection }),
    };
  }

  function currentSpec(): DashboardSpec {
    return (model.get("spec") ?? { name: "", tiles: [], layout: {} }) as DashboardSpec;
  }

  function resizeChart(view: TileView): void {
    if (view.body.classList.contains("nbdash-chart")) plotlyIfLoaded()?.Plots.resize(view.body);
  }

  function startEditing(id: string): void {
    const view = views.get(id);
    const tile = currentSpec().tiles.find((t) => t.id === id);
    if (!view || !tile) return;
    const stop = () => {
      view.editing = false;
      view.drawn = "";
      syncContent();
    };
    const form = editForm(
      tile,
      (edit) => {
        const fields: Record<string, unknown> = { tile: id, title: edit.title };
        if (edit.chart && Object.keys(edit.chart).length) fields.chart = edit.chart;
        if (edit.text !== undefined) fields.text = edit.text;
        rpc.request("edit_tile", fields).then(stop, report);
      },
      stop,
    );
    if (view.body.classList.contains("nbdash-chart")) plotlyIfLoaded()?.purge(view.body);
    view.editing = true;
    view.body.className = "nbdash-tile-body";
    view.body.replaceChildren(form);
  }

  function reveal(tileId: string): void {
    toReveal.add(tileId);
    revealPending();
  }

  function revealPending(): void {
    for (const id of toReveal) {
      const view = views.get(id);
      if (!view) continue;
      toReveal.delete(id);
      requestAnimationFrame(() => highlight(view)); // once gridstack has placed it
    }
  }

  function highlight(view: TileView): void {
    const still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    const scroll = () => view.item.scrollIntoView({ block: "nearest", behavior: still ? "auto" : "smooth" });
    scroll();
    // gridstack grows the grid with a 0.3 s transition, and a scroll aimed before it
    // ends stops short of the new tile (the page is not yet tall enough): aim again.
    const again = (event: TransitionEvent) => {
      if (event.target === gridEl && event.propertyName.endsWith("height")) scroll();
    };
    gridEl.addEventListener("transitionend", again);
    window.setTimeout(() => gridEl.removeEventListener("transitionend", again), HIGHLIGHT_MS);

    view.frame.classList.remove("nbdash-tile-new");
    void view.frame.offsetWidth; // restarts the animation when the class comes back
    view.frame.classList.add("nbdash-tile-new");
    window.setTimeout(() => view.frame.classList.remove("nbdash-tile-new"), HIGHLIGHT_MS);
  }

  function setFullScreen(view: TileView, mode: FullScreen): void {
    view.fullScreen = mode;
    view.frame.classList.toggle("nbdash-fullscreen", mode !== "");
    view.item.classList.toggle("nbdash-fullscreen-item", mode !== "");
    view.fullScreenButton.setAttribute("aria-pressed", String(mode !== ""));
    requestAnimationFrame(() => resizeChart(view));
  }

  function toggleFullScreen(view: TileView): void {
    if (view.fullScreen === "window") {
      document.exitFullscreen().catch(() => setFullScreen(view, ""));
      return;
    }
    if (view.fullScreen === "overlay") return setFullScreen(view, "");
    // JupyterLab's panels are containing blocks for fixed children (contain, transform):
    // only the Fullscreen API covers the whole window from inside them.
    if (!document.fullscreenEnabled) return setFullScreen(view, "overlay");
    view.frame.requestFullscreen().catch(() => setFullScreen(view, "overlay"));
  }

  // Entering and leaving (Esc, the button, another element taking the screen) alike.
  const onFullScreenChange = () => {
    for (const view of views.values()) {
      const on = document.fullscreenElement === view.frame;
      if (on) setFullScreen(view, "window");
      else if (view.fullScreen === "window") setFullScreen(view, "");
    }
  };
  // Browsers leave full screen on Esc themselves, but a headless or embedded one may
  // pass the key to the page instead.
  const onKey = (event: KeyboardEvent) => {
    if (event.key !== "Escape") return;
    for (const view of views.values()) {
      if (view.fullScreen === "overlay") setFullScreen(view, "");
      if (view.fullScreen === "window") document.exitFullscreen().catch(() => undefined);
    }
  };

  function addTile(tile: EditableTile, place: Place | undefined): TileView {
    const title = h("div", { className: "nbdash-tile-title", text: tile.title ?? "" });
    const body = h("div", { className: "nbdash-tile-body" });
    const menu = h("div", { className: "nbdash-tile-menu" });
    const frame = h("div", { className: "grid-stack-item-content" }, [h("div", { className: "nbdash-tile-header" }, [title, menu]), body]);
    const element = h("div", { className: "grid-stack-item" }, [frame]);
    gridEl.appendChild(element);
    const item = grid.makeWidget(element, { id: tile.id, ...(place ?? { w: 6, h: 4 }) });
    const fullScreenButton = iconButton("Full screen", "□", () => toggleFullScreen(view));
    fullScreenButton.setAttribute("aria-pressed", "false");
    const view: TileView = { item, frame, title, body, fullScreenButton, drawn: "", editing: false, fullScreen: "" };
    resizer.observe(body);
    const duplicate = () => {
      rpc.request<{ tile: string }>("duplicate_tile", { tile: tile.id }).then(({ result }) => reveal(result.tile), report);
    };
    menu.append(
      iconButton("Edit tile", "✎", () => startEditing(tile.id)),
      iconButton("Duplicate tile", "❐", duplicate),
      fullScreenButton,
      iconButton("Remove tile", "✕", () => call("remove_tile", { tile: tile.id })),
    );
    return view;
  }

  function syncTiles(): void {
    const spec = currentSpec();
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
        if (place && grid.getColumn() === COLUMNS) grid.update(view.item, place);
      }
    }
    grid.batchUpdate(false);
    applying = false;
    empty.hidden = spec.tiles.length > 0;
    syncContent();
    revealPending();
  }

  function syncContent(): void {
    const contents = (model.get("tiles_content") ?? {}) as Record<string, TileContent>;
    for (const [id, view] of views) drawContent(view, contents[id], actionsFor(id));
  }

  function syncApplied(): void {
    const applied = (model.get("applied_filters") ?? []) as AppliedFilter[];
    appliedList.textContent = applied.map((item) => item.text).join("; ");
    appliedBar.hidden = applied.length === 0;
  }

  function syncNames(): void {
    const names = (model.get("names") ?? []) as string[];
    const current = String(model.get("name") ?? "");
    const options = [...new Set([...names, current])].map((name) => h("option", { text: name, attrs: { value: name } }));
    options.push(h("option", { text: "New dashboard…", attrs: { value: "" } }));
    picker.replaceChildren(...options);
    picker.value = current;
  }

  const onPick = () => {
    const chosen = picker.value || window.prompt("Name of the new dashboard")?.trim() || "";
    if (chosen && chosen !== model.get("name")) call("switch", { name: chosen });
    else syncNames();
  };
  const onExport = () => {
    rpc.request<{ filename: string }>("export_html").then(({ result, buffers }) => download(buffers[0], result.filename), report);
  };
  const onClear = () => call("clear_filters");
  const onChange = () => {
    if (!applying) sendLayout();
  };
  const onResizeStop = (_event: Event, item: GridItemHTMLElement) => {
    const body = item.querySelector<HTMLElement>(".nbdash-chart");
    if (body) plotlyIfLoaded()?.Plots.resize(body);
  };
  const stopEvents = rpc.onEvent((event) => {
    if (event.kind === "reveal_tile" && typeof event.tile === "string") reveal(event.tile);
  });
  picker.addEventListener("change", onPick);
  document.addEventListener("fullscreenchange", onFullScreenChange);
  document.addEventListener("keydown", onKey);
  exportButton.addEventListener("click", onExport);
  clearButton.addEventListener("click", onClear);
  grid.on("change", onChange);
  grid.on("resizestop", onResizeStop);
  model.on("change:spec", syncTiles);
  model.on("change:tiles_content", syncContent);
  model.on("change:applied_filters", syncApplied);
  model.on("change:names", syncNames);
  model.on("change:name", syncNames);
  syncTiles();
  syncApplied();
  syncNames();
  const stopTheme = onThemeChange(() => {
    for (const view of views.values()) view.drawn = "";
    syncContent();
  });

  const metadata = savedMetadata();
  if (metadata !== undefined) call("notebook_metadata", { value: metadata });

  return () => {
    sendLayout.cancel();
    resizer.disconnect();
    stopEvents();
    document.removeEventListener("fullscreenchange", onFullScreenChange);
    document.removeEventListener("keydown", onKey);
    if (document.fullscreenElement && container.contains(document.fullscreenElement)) {
      document.exitFullscreen().catch(() => undefined);
    }
    stopTheme();
    model.off("change:spec", syncTiles);
    model.off("change:tiles_content", syncContent);
    model.off("change:applied_filters", syncApplied);
    model.off("change:names", syncNames);
    model.off("change:name", syncNames);
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
