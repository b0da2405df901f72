// Small DOM helpers shared by the builder and picker views. Every string the user can
// influence is set with textContent or .value, never parsed as HTML.

export type Attrs = Record<string, string>;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className = "",
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function button(label: string, onClick: () => void, className = "nbd-btn"): HTMLButtonElement {
  const node = el("button", className, label);
  node.type = "button";
  node.addEventListener("click", onClick);
  return node;
}

export interface Choice {
  value: string;
  label?: string;
}

export function select(
  choices: Array<string | Choice>,
  current: string,
  onChange: (value: string) => void,
  path = "",
): HTMLSelectElement {
  const node = el("select", "nbd-select");
  if (path) node.dataset.path = path;
  const values = choices.map((c) => (typeof c === "string" ? { value: c } : c));
  if (current !== "" && !values.some((c) => c.value === current)) {
    // Keep a value the choices no longer offer visible, so the user sees what is wrong.
    values.unshift({ value: current, label: `${current} (missing)` });
  }
  for (const choice of values) {
    const option = el("option", "", choice.label ?? choice.value);
    option.value = choice.value;
    node.append(option);
  }
  node.value = current;
  node.addEventListener("change", () => onChange(node.value));
  return node;
}

export function multiSelect(
  choices: string[],
  current: string[],
  onChange: (values: string[]) => void,
  path = "",
): HTMLSelectElement {
  const node = el("select", "nbd-select nbd-multi");
  node.multiple = true;
  if (path) node.dataset.path = path;
  const all = [...choices, ...current.filter((c) => !choices.includes(c))];
  for (const value of all) {
    const option = el("option", "", choices.includes(value) ? value : `${value} (missing)`);
    option.value = value;
    option.selected = current.includes(value);
    node.append(option);
  }
  node.size = Math.min(6, Math.max(2, all.length));
  node.addEventListener("change", () =>
    onChange(Array.from(node.selectedOptions, (option) => option.value)),
  );
  return node;
}

export function textInput(
  value: string,
  onInput: (value: string) => void,
  path = "",
  placeholder = "",
): HTMLInputElement {
  const node = el("input", "nbd-input");
  node.type = "text";
  node.value = value;
  node.placeholder = placeholder;
  if (path) node.dataset.path = path;
  node.addEventListener("input", () => onInput(node.value));
  return node;
}

export function labelled(label: string, control: HTMLElement): HTMLLabelElement {
  const node = el("label", "nbd-field");
  node.append(el("span", "nbd-label", label), control);
  return node;
}

// Re-rendering replaces inputs; remember which one had focus (by its data-path) and
// where the caret (or the selection) was, so typing is not interrupted by an update from the kernel.
export function keepFocus(root: HTMLElement, rebuild: () => void): void {
  const active = root.ownerDocument.activeElement as HTMLInputElement | HTMLTextAreaElement | null;
  const path = active && root.contains(active) ? active.dataset.path : undefined;
  const caret = active && "selectionStart" in active ? active.selectionStart : null;
  const end = active && "selectionEnd" in active ? active.selectionEnd : null;
  rebuild();
  if (!path) return;
  const again = root.querySelector<HTMLInputElement | HTMLTextAreaElement>(`[data-path="${CSS.escape(path)}"]`);
  if (!again) return;
  again.focus();
  // Number and date inputs have no caret to put back (setSelectionRange throws).
  const hasCaret = again.type === "text" || again.type === "textarea";
  // The caret, or the selection (a new step's expression selected to be typed over).
  if (caret !== null && caret !== undefined && hasCaret) again.setSelectionRange(caret, end ?? caret);
}

export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = (...args: A) => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      fn(...args);
    }, ms);
  };
  run.pending = () => timer !== undefined;
  run.flush = () => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
  };
  return run;
}

export function renderTable(preview: { columns?: string[]; rows?: unknown[][] }): HTMLElement {
  const table = el("table", "nbd-table");
  const head = el("tr");
  for (const name of preview.columns ?? []) head.append(el("th", "", name));
  table.append(el("thead"), el("tbody"));
  table.tHead!.append(head);
  for (const row of preview.rows ?? []) {
    const tr = el("tr");
    for (const cell of row) {
      const kind = cell === null ? "nbd-null" : typeof cell === "number" ? "nbd-num" : "";
      const td = el("td", kind, cell === null ? "null" : String(cell));
      tr.append(td);
    }
    table.tBodies[0].append(tr);
  }
  return table;
}
