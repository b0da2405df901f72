// The tile editor: a small form over the tile's body for its title and, for charts and
// KPIs, the chart spec's common fields. The kernel validates every change.
import { h } from "../../shared/ui";

export interface ChartFields {
  kind?: string;
  x?: string;
  y?: string | null;
  agg?: string;
  bucket?: string | null;
  color?: string | null;
  top_n?: number | null;
  [field: string]: unknown;
}

export interface EditableTile {
  id: string;
  kind: string;
  title?: string;
  chart?: ChartFields;
  text?: string;
}

export interface Edit {
  title: string;
  chart?: Record<string, unknown>;
  text?: string;
}

const KINDS = ["line", "area", "bar", "pie", "donut", "scatter", "histogram", "box", "heatmap", "kpi"];
const AGGS = ["sum", "mean", "median", "min", "max", "count"];
const BUCKETS = ["", "day", "week", "month", "quarter", "year"];

function field(label: string, control: HTMLElement): HTMLElement {
  return h("label", { className: "nbdash-edit-field" }, [h("span", { text: label }), control]);
}

function textBox(value: string | null | undefined, name: string): HTMLInputElement {
  const box = h("input", { attrs: { type: "text", name } });
  box.value = value ?? "";
  return box;
}

function choice(options: string[], value: string | null | undefined, name: string): HTMLSelectElement {
  const menu = h("select", { attrs: { name } }, options.map((option) => h("option", { text: option || "(none)", attrs: { value: option } })));
  menu.value = value ?? "";
  return menu;
}

function emptyToNull(value: string): string | null {
  return value.trim() === "" ? null : value.trim();
}

// Builds the form; `onSave` gets only the fields that changed.
export function editForm(tile: EditableTile, onSave: (edit: Edit) => void, onCancel: () => void): HTMLFormElement {
  const title = textBox(tile.title, "title");
  const fields: HTMLElement[] = [field("Title", title)];
  const chart = tile.chart;
  const controls = chart && {
    kind: choice(KINDS, chart.kind, "kind"),
    x: textBox(chart.x, "x"),
    y: textBox(chart.y, "y"),
    agg: choice(AGGS, chart.agg, "agg"),
    bucket: choice(BUCKETS, chart.bucket, "bucket"),
    color: textBox(chart.color, "color"),
  };
  if (controls) {
    fields.push(field("Kind", controls.kind), field("X", controls.x), field("Y", controls.y));
    fields.push(field("Aggregate", controls.agg), field("Bucket", controls.bucket), field("Colour by", controls.color));
  }
  const text = tile.kind === "text" ? h("textarea", { attrs: { name: "text", rows: "4" } }) : undefined;
  if (text) {
    text.value = tile.text ?? "";
    fields.push(field("Text", text));
  }

  const save = h("button", { className: "nbdash-button", text: "Save", attrs: { type: "submit" } });
  const cancel = h("button", { className: "nbdash-button", text: "Cancel", attrs: { type: "button" } });
  cancel.addEventListener("click", onCancel);
  const form = h("form", { className: "nbdash-edit" }, [...fields, h("div", { className: "nbdash-edit-buttons" }, [save, cancel])]);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const edit: Edit = { title: title.value };
    if (controls && chart) edit.chart = changedChart(chart, controls);
    if (text) edit.text = text.value;
    onSave(edit);
  });
  return form;
}

function changedChart(
  chart: ChartFields,
  controls: Record<"kind" | "x" | "y" | "agg" | "bucket" | "color", HTMLInputElement | HTMLSelectElement>,
): Record<string, unknown> {
  const now: Record<string, unknown> = {
    kind: controls.kind.value,
    x: controls.x.value.trim(),
    y: emptyToNull(controls.y.value),
    agg: controls.agg.value,
    bucket: emptyToNull(controls.bucket.value),
    color: emptyToNull(controls.color.value),
  };
  const changed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(now)) {
    if ((chart[key] ?? null) !== value) changed[key] = value;
  }
  return changed;
}
