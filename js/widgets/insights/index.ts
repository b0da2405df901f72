// The Insights widget: a ranked list of sentences with their evidence, and controls
// for the time column, measures, categories and kinds. All user text is set as text.
import baseCss from "../../shared/base.css";
import { injectStyle } from "../../shared/ui";
import css from "./insights.css";

type Insight = { kind: string; sentence: string; score: number; evidence: Record<string, unknown> };
type Roles = { time?: string | null; measures?: string[]; categories?: string[] };
type Report = { insights?: Insight[]; skipped?: string[]; roles?: Roles };
type Settings = {
  time: string | null;
  measures: string[] | null;
  categories: string[] | null;
  kinds: string[];
};
type Model = {
  get(name: string): any;
  on(event: string, cb: () => void): void;
  off(event: string, cb: () => void): void;
  send(content: unknown): void;
};

const KINDS = ["trend", "change", "driver", "anomaly", "seasonality", "correlation", "concentration", "outlier", "quality"];

function el(tag: string, text = "", cls = ""): HTMLElement {
  const node = document.createElement(tag);
  node.textContent = text;
  if (cls) node.className = cls;
  return node;
}

function evidenceLine(evidence: Record<string, unknown>): string {
  return Object.entries(evidence)
    .filter(([, v]) => v !== null && typeof v !== "object")
    .slice(0, 5)
    .map(([k, v]) => `${k.replace(/_/g, " ")}: ${typeof v === "number" ? Number(v.toPrecision(4)) : v}`)
    .join("; ");
}

function checkbox(text: string, checked: boolean, onChange: (checked: boolean) => void): HTMLElement {
  const box = document.createElement("input");
  box.type = "checkbox";
  box.checked = checked;
  box.onchange = () => onChange(box.checked);
  const label = el("label", ` ${text}`);
  label.prepend(box);
  return label;
}

// A group of checkboxes for a list setting; "auto" (null) shows what was detected.
function columnChoice(
  title: string,
  columns: string[],
  chosen: string[] | null,
  detected: string[],
  send: (value: string[] | null) => void,
): HTMLElement {
  const group = el("fieldset", "", `nbdash-insights-${title.toLowerCase()}`);
  const legend = el("legend", `${title}${chosen === null ? " (auto)" : ""}`);
  group.append(legend);
  const current = chosen ?? detected;
  for (const column of columns) {
    group.append(
      checkbox(column, current.includes(column), (on) =>
        send(on ? [...current, column] : current.filter((c) => c !== column)),
      ),
    );
  }
  if (chosen !== null) {
    const reset = el("button", "auto");
    reset.title = `Let nbdash pick the ${title.toLowerCase()}`;
    reset.onclick = () => send(null);
    group.append(reset);
  }
  return group;
}

function render({ model, el: root }: { model: Model; el: HTMLElement }): () => void {
  root.classList.add("nbdash-insights");
  injectStyle(root, baseCss + css);
  const controls = el("div", "", "nbdash-insights-controls");
  const list = el("ol", "", "nbdash-insights-list");
  const skipped = el("ul", "", "nbdash-insights-skipped");
  const error = el("div", "", "nbdash-error");
  root.append(controls, error, list, skipped);

  const send = (patch: Partial<Settings>) =>
    model.send({ kind: "settings", id: String(Date.now()), settings: { ...model.get("settings"), ...patch } });

  const timeControl = (settings: Settings, columns: string[]): HTMLElement => {
    const time = document.createElement("select");
    time.append(new Option("(auto)", ""));
    for (const c of columns) time.append(new Option(c, c, false, c === settings.time));
    time.onchange = () => send({ time: time.value || null });
    const group = el("fieldset", "", "nbdash-insights-time");
    group.append(el("legend", "Time"), time);
    return group;
  };
  const kindControl = (settings: Settings): HTMLElement => {
    const group = el("fieldset", "", "nbdash-insights-kinds");
    group.append(el("legend", "Kinds"));
    for (const kind of KINDS) {
      group.append(
        checkbox(kind, settings.kinds.includes(kind), (on) =>
          send({ kinds: on ? [...settings.kinds, kind] : settings.kinds.filter((k) => k !== kind) }),
        ),
      );
    }
    return group;
  };
  const drawControls = () => {
    const settings: Settings = model.get("settings");
    const columns: string[] = model.get("columns") ?? [];
    const roles: Roles = (model.get("report") as Report).roles ?? {};
    const others = columns.filter((c) => c !== (settings.time ?? roles.time));
    controls.replaceChildren(
      timeControl(settings, columns),
      columnChoice("Measures", others, settings.measures, roles.measures ?? [], (v) => send({ measures: v })),
      columnChoice("Categories", others, settings.categories, roles.categories ?? [], (v) => send({ categories: v })),
      kindControl(settings),
    );
  };
  const drawReport = () => {
    const report: Report = model.get("report");
    list.replaceChildren(
      ...(report.insights ?? []).map((item) => {
        const li = el("li", "", `nbdash-insight nbdash-insight-${item.kind}`);
        const sentence = el("div", "", "nbdash-insight-sentence");
        sentence.append(el("span", item.kind, "nbdash-insight-kind"), document.createTextNode(item.sentence));
        li.append(sentence, el("small", evidenceLine(item.evidence)));
        return li;
      }),
    );
    if (!(report.insights ?? []).length) {
      const why = (report.skipped ?? []).length ? " Checks that could not run are listed below." : "";
      const none = "No insights found: no trend, change, anomaly, seasonal pattern or relationship in this data passed its test.";
      list.replaceChildren(el("li", none + why, "nbdash-insights-none"));
    }
    skipped.replaceChildren(...(report.skipped ?? []).map((text) => el("li", text)));
  };
  const drawError = () => {
    error.textContent = model.get("error") ?? "";
    error.hidden = error.textContent === "";
  };
  const onReport = () => {
    drawReport();
    drawControls();
  };
  drawControls();
  drawReport();
  drawError();
  model.on("change:report", onReport);
  model.on("change:settings", drawControls);
  model.on("change:columns", drawControls);
  model.on("change:error", drawError);
  return () => {
    model.off("change:report", onReport);
    model.off("change:settings", drawControls);
    model.off("change:columns", drawControls);
    model.off("change:error", drawError);
  };
}

export default { render };
