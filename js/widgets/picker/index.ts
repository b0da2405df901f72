// The ChartPicker view: suggestion cards, controls that edit the `spec` trait, and a
// live Plotly preview of the `figure` trait the kernel draws from the spec.
import Plotly from "plotly.js-cartesian-dist-min";
import { Rpc, type AnyModel } from "../../shared/rpc";
import { el, button, select, textInput, labelled, debounce } from "../builder/dom";
import type { Column } from "../builder/steps";
import css from "../builder/style.css";
import pickerCss from "./style.css";

const TYPING_DELAY_MS = 400;

type Spec = Record<string, unknown> & { kind?: string; x?: string; y?: string | null; title?: string };

interface Figure {
  data?: unknown[];
  layout?: Record<string, unknown>;
}

const KINDS = ["line", "bar", "pie"];
const AGGS = ["sum", "mean", "median", "min", "max", "count"];
const BUCKETS = [
  { value: "", label: "none" },
  { value: "day", label: "day" },
  { value: "week", label: "week" },
  { value: "month", label: "month" },
];

function render({ model, el: root }: { model: AnyModel; el: HTMLElement }): () => void {
  const rpc = new Rpc(model);
  const container = el("div", "nbd-picker");
  const errorBox = el("div", "nbd-error");
  const cards = el("div", "nbd-suggestions");
  const controls = el("div", "nbd-row nbd-controls");
  const plot = el("div", "nbd-plot");
  const footer = el("div", "nbd-row");
  const status = el("span", "nbd-status");

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

  function columnChoices(optional: boolean) {
    const columns = ((model.get("columns") as Column[]) ?? []).map((c) => ({ value: c.name, label: `${c.name} (${c.kind})` }));
    return optional ? [{ value: "", label: "none" }, ...columns] : columns;
  }

  function isDatetime(name: unknown): boolean {
    return ((model.get("columns") as Column[]) ?? []).some((c) => c.name === name && c.kind === "datetime");
  }

  function drawSuggestions(): void {
    const suggestions = (model.get("suggestions") as Spec[]) ?? [];
    cards.replaceChildren(
      ...suggestions.map((suggestion) => {
        const chosen = suggestion.kind === spec.kind && suggestion.x === spec.x && suggestion.y === spec.y;
        const card = button(String(suggestion.title ?? ""), () => {
          spec = { ...suggestion };
          sendLater.flush();
          sendNow();
          drawAll();
        }, chosen ? "nbd-suggestion nbd-chosen" : "nbd-suggestion");
        card.append(el("span", "nbd-kind", String(suggestion.kind ?? "")));
        return card;
      }),
    );
  }

  function drawControls(): void {
    const text = (field: string) => (spec[field] === null || spec[field] === undefined ? "" : String(spec[field]));
    const optional = (value: string) => (value === "" ? null : value);
    const fields: HTMLElement[] = [
      labelled("Kind", select(KINDS, text("kind"), (v) => edit("kind", v))),
      labelled("X", select(columnChoices(false), text("x"), (v) => edit("x", v))),
      labelled("Y", select(columnChoices(true), text("y"), (v) => edit("y", optional(v)))),
      labelled("Aggregation", select(AGGS, text("agg"), (v) => edit("agg", v))),
    ];
    if (isDatetime(spec.x)) {
      fields.push(labelled("Bucket", select(BUCKETS, text("bucket"), (v) => edit("bucket", optional(v)))));
    }
    fields.push(labelled("Series", select(columnChoices(true), text("color"), (v) => edit("color", optional(v)))));
    if ("top_n" in spec) {
      const top = textInput(text("top_n"), (v) => {
        const n = Number.parseInt(v, 10);
        edit("top_n", Number.isFinite(n) && n > 0 ? n : null, false);
      }, "top_n", "all");
      top.size = 4;
      fields.push(labelled("Top N", top));
    }
    fields.push(labelled("Title", textInput(text("title"), (v) => edit("title", v, false), "title")));
    controls.replaceChildren(...fields);
  }

  function drawFigure(): void {
    const figure = (model.get("figure") as Figure) ?? {};
    if (!figure.data) {
      Plotly.purge(plot);
      return;
    }
    const layout = { ...(figure.layout ?? {}), autosize: true, margin: { l: 50, r: 20, t: 40, b: 40 } };
    void Plotly.react(plot, figure.data, layout, { responsive: true, displaylogo: false });
  }

  function drawFooter(): void {
    const add = button("Add to dashboard", async () => {
      sendLater.flush();
      sendNow();
      add.disabled = true;
      try {
        const answer = await rpc.request<{ title: string }>("add_to_dashboard", { title: spec.title ?? "" });
        status.textContent = `Added "${answer.result.title}" to the dashboard.`;
      } catch (error) {
        status.textContent = "";
        errorBox.textContent = (error as Error).message;
        errorBox.hidden = false;
      } finally {
        add.disabled = !model.get("has_dashboard");
      }
    }, "nbd-btn nbd-primary");
    add.disabled = !model.get("has_dashboard");
    add.title = add.disabled ? "Attach a dashboard: ChartPicker(dataset, dashboard=...)" : "";
    footer.replaceChildren(add, status);
  }

  function drawError(): void {
    const message = (model.get("error") as string) ?? "";
    errorBox.textContent = message;
    errorBox.hidden = message === "";
  }

  function drawAll(): void {
    drawSuggestions();
    drawControls();
  }

  const onSpec = () => {
    if (sendLater.pending()) return; // a newer edit of the title is on its way
    spec = { ...((model.get("spec") as Spec) ?? {}) };
    const focused = root.ownerDocument.activeElement;
    // Do not rebuild the control the user is typing in.
    if (focused instanceof HTMLInputElement && controls.contains(focused)) drawSuggestions();
    else drawAll();
  };
  model.on("change:spec", onSpec);
  model.on("change:suggestions", drawSuggestions);
  model.on("change:columns", drawControls);
  model.on("change:figure", drawFigure);
  model.on("change:error", drawError);
  model.on("change:has_dashboard", drawFooter);

  container.append(el("style", "", css + pickerCss), errorBox, cards, controls, plot, footer);
  root.append(container);
  drawAll();
  drawFooter();
  drawError();
  drawFigure();

  return () => {
    sendLater.flush();
    model.off("change:spec", onSpec);
    model.off("change:suggestions", drawSuggestions);
    model.off("change:columns", drawControls);
    model.off("change:figure", drawFigure);
    model.off("change:error", drawError);
    model.off("change:has_dashboard", drawFooter);
    Plotly.purge(plot);
    rpc.dispose();
    container.remove();
  };
}

export default { render };
