// The TransformBuilder view: step cards that edit the `pipeline` trait, a preview
// table, the generated pandas code and an Apply button. The kernel validates and runs
// every change; this view only edits JSON and shows what comes back.
import { Rpc, type AnyModel } from "../../shared/rpc";
import { el, button, select, textInput, keepFocus, debounce, renderTable } from "./dom";
import { newStep, stepEditor, STEP_LABELS, type Column, type PipelineJson, type Step } from "./steps";
import css from "./style.css";

const TYPING_DELAY_MS = 400;

interface Preview {
  columns?: string[];
  rows?: unknown[][];
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function render({ model, el: root }: { model: AnyModel; el: HTMLElement }): () => void {
  const rpc = new Rpc(model);
  const style = el("style", "", css);
  const errorBox = el("div", "nbd-error");
  const cards = el("div", "nbd-cards");
  const addBar = el("div", "nbd-row nbd-addbar");
  const previewBox = el("div", "nbd-preview");
  const codeBox = el("pre", "nbd-code");
  const status = el("span", "nbd-status");
  const container = el("div", "nbd-builder");

  // The steps being edited; replaced from the model whenever no edit is waiting.
  let steps: Step[] = clone((model.get("pipeline") as PipelineJson).steps ?? []);

  const sendNow = () => {
    const pipeline = model.get("pipeline") as PipelineJson;
    model.set("pipeline", { ...pipeline, steps: clone(steps) });
    model.save_changes();
  };
  const sendLater = debounce(sendNow, TYPING_DELAY_MS);
  const commit = (immediate: boolean) => {
    if (immediate) {
      sendLater.flush();
      sendNow();
      drawCards();
    } else {
      sendLater();
    }
  };

  function columnsBefore(index: number): Column[] {
    if (index === 0) return (model.get("columns") as Column[]) ?? [];
    const after = (model.get("step_columns") as Array<Column[] | null>)[index - 1];
    // A step after a failed one cannot know its columns; offer the source's.
    return after ?? ((model.get("columns") as Column[]) ?? []);
  }

  function rowsText(index: number): string {
    const counts = (model.get("row_counts") as Array<number | null>) ?? [];
    const before = index === 0 ? (model.get("source_rows") as number) : counts[index - 1];
    const after = counts[index];
    const show = (n: number | null | undefined) => (n === null || n === undefined ? "?" : n.toLocaleString());
    return `rows ${show(before)} → ${show(after)}`;
  }

  function card(step: Step, index: number): HTMLElement {
    const errors = (model.get("step_errors") as Record<string, string>) ?? {};
    const box = el("div", errors[String(index)] ? "nbd-card nbd-card-error" : "nbd-card");
    const head = el("div", "nbd-card-head");
    head.append(el("span", "nbd-card-title", `${index + 1}. ${STEP_LABELS[step.kind]}`));
    head.append(el("span", "nbd-rows", rowsText(index)));
    const move = (to: number) => {
      const [moved] = steps.splice(index, 1);
      steps.splice(to, 0, moved);
      commit(true);
    };
    const up = button("↑", () => move(index - 1), "nbd-btn nbd-small");
    const down = button("↓", () => move(index + 1), "nbd-btn nbd-small");
    up.disabled = index === 0;
    down.disabled = index === steps.length - 1;
    up.title = "Move up";
    down.title = "Move down";
    const remove = button("Delete", () => {
      steps.splice(index, 1);
      commit(true);
    }, "nbd-btn nbd-small nbd-danger");
    head.append(up, down, remove);
    box.append(head, stepEditor(step, { columns: columnsBefore(index), path: `s${index}`, commit }));
    if (errors[String(index)]) box.append(el("div", "nbd-step-error", errors[String(index)]));
    return box;
  }

  function drawCards(): void {
    keepFocus(cards, () => {
      cards.replaceChildren(...steps.map(card));
      if (steps.length === 0) cards.append(el("p", "nbd-empty", "No steps yet: add one below."));
    });
  }

  function drawAddBar(): void {
    const kinds = Object.keys(STEP_LABELS) as Step["kind"][];
    const menu = select([{ value: "", label: "Add step…" }, ...kinds.map((k) => ({ value: k, label: STEP_LABELS[k] }))], "", (kind) => {
      if (!kind) return;
      steps.push(newStep(kind as Step["kind"], columnsBefore(steps.length)));
      commit(true);
      menu.value = "";
    });
    const output = textInput(model.get("output") as string, () => undefined, "output", "output dataset");
    const apply = button("Apply", async () => {
      sendLater.flush();
      sendNow();
      apply.disabled = true;
      status.textContent = "Running…";
      try {
        const answer = await rpc.request<{ rows: number; columns: number }>("apply", { output: output.value });
        status.textContent = `Saved ${output.value}: ${answer.result.rows.toLocaleString()} rows × ${answer.result.columns} columns`;
      } catch (error) {
        status.textContent = "";
        errorBox.textContent = (error as Error).message;
      } finally {
        apply.disabled = false;
      }
    }, "nbd-btn nbd-primary");
    addBar.replaceChildren(menu, el("span", "nbd-spacer"), el("span", "nbd-label", "Output"), output, apply, status);
  }

  function drawPreview(): void {
    const preview = (model.get("preview") as Preview) ?? {};
    previewBox.replaceChildren(el("div", "nbd-section", "Preview (first 20 rows)"), renderTable(preview));
  }

  function drawCode(): void {
    codeBox.textContent = (model.get("code") as string) ?? "";
  }

  function drawError(): void {
    const message = (model.get("error") as string) ?? "";
    errorBox.textContent = message;
    errorBox.hidden = message === "";
  }

  const copy = button("Copy", async () => {
    try {
      await navigator.clipboard.writeText(codeBox.textContent ?? "");
      copy.textContent = "Copied";
    } catch {
      copy.textContent = "Copy failed";
    }
    setTimeout(() => (copy.textContent = "Copy"), 1500);
  }, "nbd-btn nbd-small");
  const codePanel = el("details", "nbd-code-panel");
  const summary = el("summary", "", "Code ");
  summary.append(copy);
  codePanel.append(summary, codeBox);

  const onPipeline = () => {
    if (sendLater.pending()) return; // the user's newer edit is on its way
    steps = clone((model.get("pipeline") as PipelineJson).steps ?? []);
    drawCards();
  };
  const onState = () => drawCards();
  model.on("change:pipeline", onPipeline);
  model.on("change:step_columns", onState);
  model.on("change:row_counts", onState);
  model.on("change:step_errors", onState);
  model.on("change:columns", onState);
  model.on("change:preview", drawPreview);
  model.on("change:code", drawCode);
  model.on("change:error", drawError);
  model.on("change:output", drawAddBar);

  container.append(style, errorBox, cards, addBar, previewBox, codePanel);
  root.append(container);
  drawCards();
  drawAddBar();
  drawPreview();
  drawCode();
  drawError();

  return () => {
    sendLater.flush();
    model.off("change:pipeline", onPipeline);
    model.off("change:step_columns", onState);
    model.off("change:row_counts", onState);
    model.off("change:step_errors", onState);
    model.off("change:columns", onState);
    model.off("change:preview", drawPreview);
    model.off("change:code", drawCode);
    model.off("change:error", drawError);
    model.off("change:output", drawAddBar);
    rpc.dispose();
    container.remove();
  };
}

export default { render };
