// The ChartPicker view: suggestion cards with live thumbnails, option controls that
// edit the `spec` trait, and a Plotly preview of the `figure` trait the kernel draws.
// Zooming a long series asks the kernel for the visible range (`zoom`), debounced.
import { Rpc, type AnyModel } from "../../shared/rpc";
import { loadPlotly, plotlyIfLoaded, type PlotlyApi, type PlotlyFigure } from "../../shared/plotly";
import { currentTheme, themeLayout, onThemeChange } from "../../shared/theme";
import { el, button, select, multiSelect, textInput, labelled, debounce } from "../builder/dom";
import type { Column } from "../builder/steps";
import css from "../builder/style.css";
import pickerCss from "./style.css";
import { KIND_FIELDS, retarget, type Spec } from "./kinds";

const TYPING_DELAY_MS = 400;
const ZOOM_DELAY_MS = 300;

interface Choice {
  value: string;
  label: string;
}

interface Choices {
  kinds?: string[];
  aggs?: string[];
  buckets?: string[];
  sorts?: string[];
  number_formats?: Choice[];
  date_formats?: Choice[];
  palettes?: string[];
}

type Exporting = PlotlyApi & {
  downloadImage(root: HTMLElement, options: Record<string, unknown>): Promise<unknown>;
};

interface PlotElement extends HTMLElement {
  layout?: Record<string, unknown>;
  on?(event: string, handler: (data: Record<string, unknown>) => void): void;
  removeAllListeners?(event: string): void;
}

const SORT_LABELS: Record<string, string> = {
  auto: "automatic",
  value_desc: "largest first",
  value_asc: "smallest first",
  label_asc: "A to Z",
  label_desc: "Z to A",
};

function render({ model, el: root }: { model: AnyModel; el: HTMLElement }): () => void {
  const rpc = new Rpc(model);
  const container = el("div", "nbd-picker");
  const errorBox = el("div", "nbd-error");
  const cards = el("div", "nbd-suggestions");
  const controls = el("div", "nbd-row nbd-controls");
  const plot = el("div", "nbd-plot") as PlotElement;
  const footer = el("div", "nbd-row");
  const status = el("span", "nbd-status");
  let closed = false;

  let spec: Spec = { ...((model.get("spec") as Spec) ?? {}) };
  const sendNow = () => {
    model.set("spec", { ...spec });
    model.save_changes();
  };
  const sendLater = debounce(sendNow, TYPING_DELAY_MS);
  const edit = (field: string, value: unknown, immediate = true) => {
    spec = { ...spec, [field]: value };
    if (immediate) {
      sendLater.flush();
      sendNow();
    } else {
      sendLater();
    }
  };
  const choices = (): Choices => (model.get("choices") as Choices) ?? {};
  const columns = (): Column[] => (model.get("columns") as Column[]) ?? [];

  function columnChoices(optional: boolean, kind?: string) {
    const shown = columns().filter((c) => kind === undefined || c.kind === kind);
    const options = shown.map((c) => ({ value: c.name, label: `${c.name} (${c.kind})` }));
    return optional ? [{ value: "", label: "none" }, ...options] : options;
  }

  const isDatetime = (name: unknown) => columns().some((c) => c.name === name && c.kind === "datetime");

  function showError(message: string): void {
    errorBox.textContent = message;
    errorBox.hidden = message === "";
  }

  // -- suggestions ---------------------------------------------------------------

  function drawSuggestions(): void {
    const suggestions = (model.get("suggestions") as Spec[]) ?? [];
    const previews = (model.get("previews") as PlotlyFigure[]) ?? [];
    const thumbs: Array<[HTMLElement, PlotlyFigure]> = [];
    cards.replaceChildren(
      ...suggestions.map((suggestion, index) => {
        const chosen = suggestion.kind === spec.kind && suggestion.x === spec.x && suggestion.y === spec.y;
        const card = button("", () => {
          spec = { ...suggestion };
          sendLater.flush();
          sendNow();
          drawAll();
        }, chosen ? "nbd-suggestion nbd-chosen" : "nbd-suggestion");
        const thumb = el("div", "nbd-thumb");
        card.append(thumb, el("span", "nbd-card-title", String(suggestion.title ?? "")), el("span", "nbd-kind", String(suggestion.kind ?? "")));
        if (previews[index]?.data) thumbs.push([thumb, previews[index]]);
        return card;
      }),
    );
    if (thumbs.length) void drawThumbs(thumbs);
  }

  async function drawThumbs(thumbs: Array<[HTMLElement, PlotlyFigure]>): Promise<void> {
    const Plotly = await loadPlotly();
    // The view is rendered before the notebook attaches it to the page; a thumbnail
    // waits for that (it used to give up, so a picker opened once plotly was loaded
    // showed blank cards), and stops only when newer cards replaced it.
    await attached(root, () => closed);
    const theme = currentTheme(root);
    for (const [thumb, figure] of thumbs) {
      if (closed || !cards.contains(thumb)) return;
      const layout = themeLayout({ ...(figure.layout ?? {}), width: 150, height: 80 }, theme);
      await Plotly.react(thumb, figure.data ?? [], layout, { staticPlot: true, displayModeBar: false });
    }
  }

  // -- option controls -----------------------------------------------------------

  function drawControls(): void {
    const text = (field: string) => (spec[field] === null || spec[field] === undefined ? "" : String(spec[field]));
    const optional = (value: string) => (value === "" ? null : value);
    const number = (value: string) => {
      const n = Number.parseInt(value, 10);
      return Number.isFinite(n) && n > 0 ? n : null;
    };
    const kind = String(spec.kind ?? "bar");
    const has = (field: string) => KIND_FIELDS[kind]?.includes(field) ?? false;
    const c = choices();

    const fields: HTMLElement[] = [
      labelled("Kind", select(c.kinds ?? [], kind, (v) => {
        spec = retarget(spec, v, columns());
        edit("kind", v);
      }, "kind")),
      labelled(kind === "histogram" ? "Measure" : "X", select(columnChoices(false), text("x"), (v) => edit("x", v), "x")),
    ];
    if (has("y")) fields.push(labelled("Y", select(columnChoices(!["scatter", "box"].includes(kind)), text("y"), (v) => edit("y", optional(v)), "y")));
    if (has("agg")) fields.push(labelled("Aggregation", select(c.aggs ?? [], text("agg"), (v) => edit("agg", v), "agg")));
    if (has("bucket") && isDatetime(spec.x)) {
      const buckets = [{ value: "", label: kind === "kpi" ? "month" : "none" }, ...(c.buckets ?? []).map((b) => ({ value: b, label: b }))];
      fields.push(labelled(kind === "kpi" ? "Period" : "Bucket", select(buckets, text("bucket"), (v) => edit("bucket", optional(v)), "bucket")));
    }
    if (has("color")) fields.push(labelled(kind === "heatmap" ? "Rows" : "Series", select(columnChoices(true), text("color"), (v) => edit("color", optional(v)), "color")));
    if (has("measures")) {
      const numeric = columns().filter((col) => col.kind === "number" && col.name !== spec.y && col.name !== spec.x).map((col) => col.name);
      const current = (spec.measures as string[] | undefined) ?? [];
      fields.push(labelled("More measures", multiSelect(numeric, current, (v) => edit("measures", v), "measures")));
    }
    if (has("size")) fields.push(labelled("Size", select(columnChoices(true, "number"), text("size"), (v) => edit("size", optional(v)), "size")));
    if (has("trend")) fields.push(checkbox("Trend line", Boolean(spec.trend), (v) => edit("trend", v)));
    if (has("stacked")) fields.push(checkbox("Stacked", Boolean(spec.stacked), (v) => edit("stacked", v)));
    if (has("horizontal")) fields.push(checkbox("Horizontal", Boolean(spec.horizontal), (v) => edit("horizontal", v)));
    if (has("sort")) {
      const sorts = (c.sorts ?? []).map((s) => ({ value: s, label: SORT_LABELS[s] ?? s }));
      fields.push(labelled("Sort", select(sorts, text("sort") || "auto", (v) => edit("sort", v), "sort")));
    }
    if (has("top_n")) fields.push(labelled("Top N", small(textInput(text("top_n"), (v) => edit("top_n", number(v), false), "top_n", "all"))));
    if (has("rolling")) fields.push(labelled("Rolling mean", small(textInput(text("rolling"), (v) => edit("rolling", number(v), false), "rolling", "off"))));
    if (has("bins")) fields.push(labelled("Bins", small(textInput(text("bins"), (v) => edit("bins", number(v), false), "bins", "auto"))));

    fields.push(labelled("Title", textInput(text("title"), (v) => edit("title", v, false), "title")));
    if (kind !== "kpi") {
      fields.push(labelled("X label", textInput(text("x_label"), (v) => edit("x_label", v, false), "x_label", "automatic")));
      if (!["pie", "donut"].includes(kind)) fields.push(labelled("Y label", textInput(text("y_label"), (v) => edit("y_label", v, false), "y_label", "automatic")));
    }
    fields.push(labelled("Numbers", select(c.number_formats ?? [], text("number_format"), (v) => edit("number_format", v), "number_format")));
    if (isDatetime(spec.x) && kind !== "kpi") {
      fields.push(labelled("Dates", select(c.date_formats ?? [], text("date_format"), (v) => edit("date_format", v), "date_format")));
    }
    const palettes = [{ value: "", label: "theme" }, ...(c.palettes ?? []).map((p) => ({ value: p, label: p }))];
    fields.push(labelled("Colours", select(palettes, text("palette"), (v) => edit("palette", v), "palette")));
    controls.replaceChildren(...fields);
  }

  // -- the figure, zoom and export -----------------------------------------------

  function drawFigure(): void {
    const figure = (model.get("figure") as PlotlyFigure) ?? {};
    if (!figure.data) {
      plotlyIfLoaded()?.purge(plot);
      return;
    }
    void loadPlotly()
      .then((Plotly) => {
        if (closed) return;
        const layout = { ...(figure.layout ?? {}), autosize: true };
        return Plotly.react(plot, figure.data ?? [], themeLayout(layout, currentTheme(root)), {
          responsive: true,
          displaylogo: false,
          toImageButtonOptions: { filename: `${String(model.get("dataset"))}-chart` },
        }).then(() => listenForZoom());
      })
      .catch((error: Error) => showError(error.message));
  }

  let listening = false;
  function listenForZoom(): void {
    if (listening || !plot.on) return;
    listening = true;
    plot.on("plotly_relayout", (event) => zoomLater(event));
  }

  const zoomLater = debounce((event: Record<string, unknown>) => void zoom(event), ZOOM_DELAY_MS);

  async function zoom(event: Record<string, unknown>): Promise<void> {
    if (!["line", "area", "scatter"].includes(String(spec.kind))) return;
    let range: unknown[] | null | undefined;
    if (event["xaxis.autorange"] === true) range = null;
    else if (event["xaxis.range[0]"] !== undefined) range = [event["xaxis.range[0]"], event["xaxis.range[1]"]];
    else if (Array.isArray(event["xaxis.range"])) range = event["xaxis.range"] as unknown[];
    if (range === undefined) return; // a change that is not a zoom (legend, hover)
    try {
      const answer = await rpc.request<{ data: unknown[]; resampled: boolean }>("zoom", { x_range: range });
      const Plotly = await loadPlotly();
      if (answer.result.resampled && !closed) await Plotly.react(plot, answer.result.data, plot.layout ?? {});
    } catch (error) {
      showError((error as Error).message);
    }
  }

  async function exportImage(format: "png" | "svg"): Promise<void> {
    const Plotly = (await loadPlotly()) as Exporting;
    await Plotly.downloadImage(plot, { format, filename: `${String(model.get("dataset"))}-chart`, width: 900, height: 500 });
  }

  async function downloadData(): Promise<void> {
    const answer = await rpc.request<{ filename: string; mime: string }>("download_data");
    const bytes = answer.buffers[0];
    const blob = new Blob([bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer], { type: answer.result.mime });
    const link = el("a");
    link.href = URL.createObjectURL(blob);
    link.download = answer.result.filename;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
    status.textContent = `Downloaded ${answer.result.filename}.`;
  }

  function drawFooter(): void {
    const add = button("Add to dashboard", async () => {
      sendLater.flush();
      sendNow();
      add.disabled = true;
      try {
        const answer = await rpc.request<{ title: string }>("add_to_dashboard", { title: spec.title ?? "" });
        status.textContent = `Added "${answer.result.title}" to the dashboard.`;
        showError(String(model.get("error") ?? "")); // an earlier failure is over
      } catch (error) {
        status.textContent = "";
        showError((error as Error).message);
      } finally {
        add.disabled = !model.get("has_dashboard");
      }
    }, "nbd-btn nbd-primary");
    add.disabled = !model.get("has_dashboard");
    add.title = add.disabled ? "Attach a dashboard: ChartPicker(dataset, dashboard=...)" : "";
    const failing = (action: () => Promise<void>) => () => void action().catch((error: Error) => showError(error.message));
    footer.replaceChildren(
      add,
      button("PNG", failing(() => exportImage("png")), "nbd-btn nbd-export"),
      button("SVG", failing(() => exportImage("svg")), "nbd-btn nbd-export"),
      button("Download data", failing(downloadData), "nbd-btn nbd-export"),
      status,
    );
  }

  function drawAll(): void {
    drawSuggestions();
    drawControls();
  }

  const onSpec = () => {
    if (sendLater.pending()) return; // a newer edit of a text field is on its way
    spec = { ...((model.get("spec") as Spec) ?? {}) };
    const focused = root.ownerDocument.activeElement;
    // Do not rebuild the control the user is typing in.
    if (focused instanceof HTMLInputElement && controls.contains(focused)) drawSuggestions();
    else drawAll();
  };
  const onError = () => showError((model.get("error") as string) ?? "");
  model.on("change:spec", onSpec);
  model.on("change:suggestions", drawSuggestions);
  model.on("change:previews", drawSuggestions);
  model.on("change:columns", drawControls);
  model.on("change:choices", drawControls);
  model.on("change:figure", drawFigure);
  model.on("change:error", onError);
  model.on("change:has_dashboard", drawFooter);
  const stopTheme = onThemeChange(() => {
    drawFigure();
    drawSuggestions();
  });

  container.append(el("style", "", css + pickerCss), errorBox, cards, controls, plot, footer);
  root.append(container);
  drawAll();
  drawFooter();
  onError();
  drawFigure();

  return () => {
    closed = true;
    sendLater.flush();
    zoomLater.flush();
    stopTheme();
    model.off("change:spec", onSpec);
    model.off("change:suggestions", drawSuggestions);
    model.off("change:previews", drawSuggestions);
    model.off("change:columns", drawControls);
    model.off("change:choices", drawControls);
    model.off("change:figure", drawFigure);
    model.off("change:error", onError);
    model.off("change:has_dashboard", drawFooter);
    plot.removeAllListeners?.("plotly_relayout");
    const Plotly = plotlyIfLoaded();
    Plotly?.purge(plot);
    for (const thumb of cards.querySelectorAll<HTMLElement>(".nbd-thumb")) Plotly?.purge(thumb);
    rpc.dispose();
    container.remove();
  };
}

// Resolves once `node` is in the document (checked each animation frame), or `stop()`.
function attached(node: HTMLElement, stop: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (node.isConnected || stop()) resolve();
      else requestAnimationFrame(check);
    };
    check();
  });
}

function checkbox(label: string, checked: boolean, onChange: (value: boolean) => void): HTMLElement {
  const input = el("input");
  input.type = "checkbox";
  input.checked = checked;
  input.addEventListener("change", () => onChange(input.checked));
  const node = el("label", "nbd-field");
  node.append(input, el("span", "nbd-label", label));
  return node;
}

function small(input: HTMLInputElement): HTMLInputElement {
  input.size = 5;
  return input;
}

export default { render };
