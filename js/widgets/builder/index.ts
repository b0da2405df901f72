// The TransformBuilder view: a toolbar (undo, redo, engine, code), one card per step
// (rows before and after, enable, move, delete, its form, its error and a preview of
// its output), the result's preview and the generated pandas code. The kernel
// validates and runs every change and keeps the undo history; this view only edits
// JSON and shows what comes back.
import { Rpc, type AnyModel } from "../../shared/rpc";
import { el, button, select, textInput, keepFocus, debounce, renderTable } from "./dom";
import { STEP_GROUPS, label, newStep, type Column, type PipelineJson, type Step } from "./steps";
import { stepForm, stepHelp, checkbox, type Schema } from "./form";
import type { ExpressionCheck } from "./expression";
import css from "./style.css";

const TYPING_DELAY_MS = 400;

interface Preview {
  columns?: string[];
  rows?: unknown[][];
}

interface StepError {
  message: string;
  offset: number | null;
  expression: string;
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function isTextField(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target instanceof HTMLTextAreaElement) return true;
  return target instanceof HTMLInputElement && ["text", "number", "date", "search"].includes(target.type);
}

function render({ model, el: root }: { model: AnyModel; el: HTMLElement }): () => void {
  const rpc = new Rpc(model);
  const get = <T>(name: string, fallback: T): T => (model.get(name) as T | null | undefined) ?? fallback;
  const container = el("div", "nbd-builder");
  // JupyterLab's notebook shortcuts (z, Ctrl+Z on cells) stay out of the widget.
  container.dataset.lmSuppressShortcuts = "true";
  container.tabIndex = -1; // a click on the widget's background focuses it, for Ctrl+Z
  const errorBox = el("div", "nbd-error");
  const toolbar = el("div", "nbd-row nbd-toolbar");
  const cards = el("div", "nbd-cards");
  const addBar = el("div", "nbd-row nbd-addbar");
  const previewBox = el("div", "nbd-preview");
  const codeBox = el("pre", "nbd-code");
  const codeFallback = el("textarea", "nbd-input nbd-code-copy");
  codeFallback.readOnly = true;
  codeFallback.hidden = true;
  const status = el("span", "nbd-status");

  // The steps being edited and which are off; replaced from the model whenever no
  // edit of ours is waiting to be sent.
  let steps: Step[] = [];
  let off: boolean[] = [];
  const drafts = new Map<string, { text: string; check?: ExpressionCheck }>();
  const load = () => {
    const pipeline = get<PipelineJson>("pipeline", { source: "", steps: [] });
    steps = clone(pipeline.steps ?? []);
    const disabled = new Set(pipeline.disabled ?? []);
    off = steps.map((_step, index) => disabled.has(index));
  };
  load();

  const sendNow = () => {
    const pipeline = get<PipelineJson>("pipeline", { source: "", steps: [] });
    const disabled = off.flatMap((isOff, index) => (isOff ? [index] : []));
    model.set("pipeline", { ...pipeline, steps: clone(steps), disabled });
    model.set("revision", get<number>("revision", 0) + 1);
    model.save_changes();
  };
  // An edit of ours the kernel has not answered yet: the pipeline it sends meanwhile
  // is an older one, and loading it would drop the newer steps.
  const inFlight = () => get<number>("applied_revision", 0) < get<number>("revision", 0);
  // Step kinds chosen while an edit was on its way, added in turn as the kernel answers.
  const queued: string[] = [];
  function addStep(kind: string): void {
    steps.push(newStep(kind, columnsBefore(steps.length), get<string[]>("datasets", [])));
    off.push(false);
    commit(true);
  }
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

  const checkExpression = async (text: string, index: number) =>
    (await rpc.request<ExpressionCheck>("check_expression", { expression: text, index })).result;

  function columnsBefore(index: number): Column[] {
    const source = get<Column[]>("columns", []);
    for (let at = index - 1; at >= 0; at--) {
      const after = get<Array<Column[] | null>>("step_columns", [])[at];
      if (after) return after;
    }
    return source; // nothing before ran (or it failed): offer the source's columns
  }

  function rowsText(index: number): string {
    const counts = get<Array<number | null>>("row_counts", []);
    const before = index === 0 ? get<number>("source_rows", 0) : counts[index - 1];
    const show = (n: number | null | undefined) => (n === null || n === undefined ? "?" : n.toLocaleString());
    return `${show(before)} → ${show(counts[index])} rows`;
  }

  function move(from: number, to: number): void {
    if (to < 0 || to >= steps.length || from === to) return;
    drafts.clear(); // drafts are keyed by step position
    const [step] = steps.splice(from, 1);
    const [isOff] = off.splice(from, 1);
    steps.splice(to, 0, step);
    off.splice(to, 0, isOff);
    commit(true);
  }

  function cardHead(step: Step, index: number): HTMLElement {
    const head = el("div", "nbd-card-head");
    const grip = el("span", "nbd-grip", "⠿");
    grip.title = "Drag to reorder";
    head.append(grip, el("span", "nbd-card-title", `${index + 1}. ${label(step.kind)}`));
    head.append(el("span", "nbd-rows", off[index] ? "disabled" : rowsText(index)));
    const enabled = checkbox(!off[index], `s${index}.enabled`, (on) => {
      off[index] = !on;
      commit(true);
    });
    enabled.title = "Run this step";
    const toggle = el("label", "nbd-field nbd-enable");
    toggle.append(enabled, el("span", "nbd-label", "on"));
    const up = button("↑", () => move(index, index - 1), "nbd-btn nbd-small");
    const down = button("↓", () => move(index, index + 1), "nbd-btn nbd-small");
    up.disabled = index === 0;
    down.disabled = index === steps.length - 1;
    up.title = "Move up";
    down.title = "Move down";
    const remove = button("Delete", () => {
      steps.splice(index, 1);
      off.splice(index, 1);
      drafts.clear();
      commit(true);
    }, "nbd-btn nbd-small nbd-danger");
    head.append(toggle, up, down, remove);
    return head;
  }

  // Only the grip drags, so text in the card's inputs can still be selected.
  function draggable(box: HTMLElement, grip: HTMLElement, index: number): void {
    grip.draggable = true;
    grip.addEventListener("dragstart", (event) => {
      event.dataTransfer?.setData("text/x-nbdash-step", String(index));
      event.dataTransfer?.setDragImage(box, 10, 10);
      box.classList.add("nbd-dragging");
    });
    grip.addEventListener("dragend", () => box.classList.remove("nbd-dragging"));
    box.addEventListener("dragover", (event) => {
      if (event.dataTransfer?.types.includes("text/x-nbdash-step")) event.preventDefault();
    });
    box.addEventListener("drop", (event) => {
      const from = Number(event.dataTransfer?.getData("text/x-nbdash-step"));
      if (!Number.isInteger(from)) return;
      event.preventDefault();
      move(from, index);
    });
  }

  function card(step: Step, index: number): HTMLElement {
    const error = get<Record<string, StepError>>("step_errors", {})[String(index)];
    const classes = ["nbd-card", error ? "nbd-card-error" : "", off[index] ? "nbd-card-off" : ""];
    const box = el("div", classes.filter(Boolean).join(" "));
    box.dataset.step = String(index);
    const help = stepHelp(step.kind, defs());
    const form = stepForm(step, {
      defs: defs(),
      columns: columnsBefore(index),
      datasets: get<string[]>("datasets", []),
      path: `s${index}`,
      stepIndex: index,
      drafts,
      checkExpression,
      runError: error && error.expression ? { ok: false, ...error } : undefined,
      commit,
      redraw: drawCards,
    });
    const head = cardHead(step, index);
    draggable(box, head.querySelector(".nbd-grip") as HTMLElement, index);
    box.append(head, form);
    if (help) box.title = help;
    // A derive step's expression editor shows its own error, with the position marked.
    const shownByEditor = error && error.expression && step.kind === "derive";
    if (error && !shownByEditor) box.append(el("div", "nbd-step-error", error.message));
    box.append(stepPreview(index));
    return box;
  }

  function stepPreview(index: number): HTMLElement {
    const preview = get<Array<Preview | null>>("step_previews", [])[index];
    const details = el("details", "nbd-step-preview");
    details.append(el("summary", "", "Output preview"));
    details.dataset.path = `s${index}.preview`;
    if (openPreviews.has(index)) details.open = true;
    details.addEventListener("toggle", () => (details.open ? openPreviews.add(index) : openPreviews.delete(index)));
    details.append(preview ? renderTable(preview) : el("p", "nbd-empty", "Not run (an earlier step failed)."));
    return details;
  }
  const openPreviews = new Set<number>();

  const defs = () => get<{ $defs?: Record<string, Schema> }>("schema", {}).$defs ?? {};

  function drawCards(): void {
    keepFocus(cards, () => {
      cards.replaceChildren(...steps.map(card));
      if (steps.length === 0) cards.append(el("p", "nbd-empty", "No steps yet: add one below."));
    });
  }

  // Built once and updated in place, so a focused button keeps the focus (and the
  // keyboard shortcuts keep reaching the widget) when the history changes.
  const undo = button("↶ Undo", () => history("undo"), "nbd-btn nbd-small nbd-undo");
  const redo = button("↷ Redo", () => history("redo"), "nbd-btn nbd-small nbd-redo");
  undo.title = "Undo (Ctrl+Z)";
  redo.title = "Redo (Ctrl+Shift+Z)";
  const engine = select(["pandas", "duckdb", "auto"], get<string>("engine", "pandas"), (value) => {
    model.set("engine", value);
    model.save_changes();
  }, "engine");
  engine.title = "The engine Apply runs the pipeline with";
  const title = el("span", "nbd-card-title");
  toolbar.append(title, undo, redo, el("span", "nbd-label", "Engine"), engine);

  function drawToolbar(): void {
    title.textContent = `Pipeline over ${get<string>("source", "")}`;
    undo.disabled = !get<boolean>("can_undo", false);
    redo.disabled = !get<boolean>("can_redo", false);
    engine.value = get<string>("engine", "pandas");
  }

  async function history(kind: "undo" | "redo"): Promise<void> {
    sendLater.flush();
    drafts.clear();
    try {
      await rpc.request(kind);
    } catch (error) {
      showError((error as Error).message);
    }
  }

  function drawAddBar(): void {
    const menu = el("select", "nbd-select nbd-add");
    const prompt = el("option", "", "Add step…");
    prompt.value = "";
    menu.append(prompt);
    for (const [group, kinds] of STEP_GROUPS) {
      const optgroup = el("optgroup");
      optgroup.label = group;
      for (const kind of kinds) {
        const option = el("option", "", label(kind));
        option.value = kind;
        optgroup.append(option);
      }
      menu.append(optgroup);
    }
    menu.addEventListener("change", () => {
      if (!menu.value) return;
      const kind = menu.value;
      menu.value = "";
      // A new step's defaults come from the columns before it, which the kernel has
      // not worked out yet while an edit is on its way: add it once it has.
      if (inFlight() || sendLater.pending()) queued.push(kind);
      else addStep(kind);
    });
    const output = textInput(get<string>("output", ""), () => undefined, "output", "output dataset");
    const apply = button("Apply", () => runApply(apply, output.value), "nbd-btn nbd-primary");
    addBar.replaceChildren(menu, el("span", "nbd-spacer"), el("span", "nbd-label", "Output"), output, apply, status);
  }

  async function runApply(apply: HTMLButtonElement, output: string): Promise<void> {
    sendLater.flush();
    sendNow();
    apply.disabled = true;
    status.textContent = "Running…";
    try {
      const answer = await rpc.request<{ rows: number; columns: number }>("apply", { output });
      status.textContent = `Saved ${output}: ${answer.result.rows.toLocaleString()} rows × ${answer.result.columns} columns`;
    } catch (error) {
      status.textContent = "";
      showError((error as Error).message);
    } finally {
      apply.disabled = false;
    }
  }

  function drawPreview(): void {
    previewBox.replaceChildren(el("div", "nbd-section", "Result (first 20 rows)"), renderTable(get<Preview>("preview", {})));
  }

  function drawCode(): void {
    codeBox.textContent = get<string>("code", "");
    codeFallback.value = codeBox.textContent;
  }

  function showError(message: string): void {
    errorBox.textContent = message;
    errorBox.hidden = message === "";
  }
  const drawError = () => showError(get<string>("error", ""));

  // Copy: the clipboard API needs a secure context and permission; where it fails the
  // code is shown selected in a text area for Ctrl+C.
  const copy = button("Copy code", async () => {
    try {
      await navigator.clipboard.writeText(codeBox.textContent ?? "");
      copy.textContent = "Copied";
      codeFallback.hidden = true;
    } catch {
      codeFallback.hidden = false;
      codeFallback.focus();
      codeFallback.select();
      copy.textContent = "Press Ctrl+C";
    }
    setTimeout(() => (copy.textContent = "Copy code"), 2000);
  }, "nbd-btn nbd-small nbd-copy");
  const insert = button("Insert into a new cell", async () => {
    sendLater.flush();
    sendNow();
    try {
      await rpc.request("insert_code");
      insert.textContent = "Inserted";
    } catch (error) {
      showError((error as Error).message);
    }
    setTimeout(() => (insert.textContent = "Insert into a new cell"), 2000);
  }, "nbd-btn nbd-small nbd-insert");
  const drawInsert = () => (insert.hidden = !get<boolean>("can_insert", false));
  const codePanel = el("details", "nbd-code-panel");
  const summary = el("summary", "", "Code ");
  summary.append(copy, insert);
  codePanel.append(summary, codeFallback, codeBox);

  const onKey = (event: KeyboardEvent) => {
    if (!(event.ctrlKey || event.metaKey) || event.key.toLowerCase() !== "z") return;
    if (isTextField(event.target)) return; // the field's own text undo
    event.preventDefault();
    event.stopPropagation();
    void history(event.shiftKey ? "redo" : "undo");
  };
  container.addEventListener("keydown", onKey);

  const onPipeline = () => {
    if (sendLater.pending() || inFlight()) return; // the user's newer edit is on its way
    load();
    drawCards();
    const kind = queued.shift();
    if (kind !== undefined) addStep(kind);
  };
  const onState = () => drawCards();
  const listeners: Array<[string, () => void]> = [
    ["change:pipeline", onPipeline],
    ["change:applied_revision", onPipeline],
    ["change:step_columns", onState],
    ["change:row_counts", onState],
    ["change:step_errors", onState],
    ["change:step_previews", onState],
    ["change:columns", onState],
    ["change:datasets", onState],
    ["change:preview", drawPreview],
    ["change:code", drawCode],
    ["change:error", drawError],
    ["change:output", drawAddBar],
    ["change:can_undo", drawToolbar],
    ["change:can_redo", drawToolbar],
    ["change:engine", drawToolbar],
    ["change:can_insert", drawInsert],
  ];
  for (const [name, listener] of listeners) model.on(name, listener);

  container.append(el("style", "", css), toolbar, errorBox, cards, addBar, previewBox, codePanel);
  root.append(container);
  for (const draw of [drawToolbar, drawCards, drawAddBar, drawPreview, drawCode, drawError, drawInsert]) draw();

  // In Voila the nbdash template embeds the notebook's saved metadata in the page
  // (the kernel cannot find the file there); hand it over so the pipeline is restored.
  const embedded = document.getElementById("nbdash-notebook-metadata")?.textContent;
  if (embedded) {
    try {
      void rpc.request("notebook_metadata", { value: JSON.parse(embedded) }).catch(() => undefined);
    } catch {
      // Not JSON: nothing to restore from.
    }
  }

  return () => {
    sendLater.flush();
    for (const [name, listener] of listeners) model.off(name, listener);
    container.removeEventListener("keydown", onKey);
    rpc.dispose();
    container.remove();
  };
}

export default { render };
