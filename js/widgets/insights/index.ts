// The Insights widget: a ranked list of sentences with their evidence, and controls
// for the time column, measures, categories and kinds. All user text is set as text.
type Insight = { kind: string; sentence: string; score: number; evidence: Record<string, unknown> };
type Report = { insights?: Insight[]; skipped?: string[] };
type Settings = { time: string | null; measures: string[] | null; categories: string[] | null; kinds: string[] };
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

function render({ model, el: root }: { model: Model; el: HTMLElement }): () => void {
  root.classList.add("nbdash-insights");
  const controls = el("div", "", "nbdash-insights-controls");
  const list = el("ol", "", "nbdash-insights-list");
  const skipped = el("ul", "", "nbdash-insights-skipped");
  const error = el("div", "", "nbdash-error");
  root.append(controls, error, list, skipped);

  const send = (patch: Partial<Settings>) =>
    model.send({ kind: "settings", id: String(Date.now()), settings: { ...model.get("settings"), ...patch } });

  const drawControls = () => {
    controls.replaceChildren();
    const settings: Settings = model.get("settings");
    const time = document.createElement("select");
    time.append(new Option("(auto time column)", ""));
    for (const c of model.get("columns") as string[]) time.append(new Option(c, c, false, c === settings.time));
    time.onchange = () => send({ time: time.value || null });
    controls.append(el("label", "Time "), time);
    for (const kind of KINDS) {
      const box = document.createElement("input");
      box.type = "checkbox";
      box.checked = settings.kinds.includes(kind);
      box.onchange = () =>
        send({ kinds: box.checked ? [...settings.kinds, kind] : settings.kinds.filter((k) => k !== kind) });
      const label = el("label", ` ${kind} `);
      label.prepend(box);
      controls.append(label);
    }
  };
  const drawReport = () => {
    const report: Report = model.get("report");
    list.replaceChildren(
      ...(report.insights ?? []).map((item) => {
        const li = el("li", "", `nbdash-insight nbdash-insight-${item.kind}`);
        li.append(el("div", item.sentence, "nbdash-insight-sentence"), el("small", evidenceLine(item.evidence)));
        return li;
      }),
    );
    if (!(report.insights ?? []).length) list.replaceChildren(el("li", "No insights found."));
    skipped.replaceChildren(...(report.skipped ?? []).map((text) => el("li", text)));
  };
  const drawError = () => {
    error.textContent = model.get("error") ?? "";
  };
  drawControls();
  drawReport();
  drawError();
  model.on("change:report", drawReport);
  model.on("change:settings", drawControls);
  model.on("change:columns", drawControls);
  model.on("change:error", drawError);
  return () => {
    model.off("change:report", drawReport);
    model.off("change:settings", drawControls);
    model.off("change:columns", drawControls);
    model.off("change:error", drawError);
  };
}

export default { render };
