// Step forms drawn from the kernel's JSON schema of a pipeline (the `schema` trait):
// enums become selects, booleans checkboxes, numbers number inputs, lists of objects
// repeatable rows. Fields that name columns or datasets become selects of what is
// available at that step; the filter, the expression and the rename mapping have
// their own editors. The form mutates the step object and calls `commit`; the kernel
// validates every change.
import { el, button, select, multiSelect, textInput, labelled } from "./dom";
import { parseScalar, scalarText, type Column, type Step } from "./steps";
import { conditionGroupEditor, type Group } from "./filter";
import { expressionEditor, type ExpressionContext } from "./expression";

export interface Schema {
  type?: string;
  enum?: string[];
  const?: string;
  $ref?: string;
  anyOf?: Schema[];
  items?: Schema;
  prefixItems?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  format?: string;
  title?: string;
  description?: string;
}

export interface FormContext extends ExpressionContext {
  defs: Record<string, Schema>; // the schema's $defs
  columns: Column[]; // the columns available before this step
  datasets: string[]; // the workspace's datasets, for join and append
  path: string; // a stable id prefix for the inputs (focus keeping)
  commit: (immediate: boolean) => void; // the step object was mutated: sync it
}

// String fields that name an existing column, and list fields that name several.
const COLUMN_FIELDS = new Set(["column", "values"]);
const COLUMN_LIST_FIELDS = new Set(["columns", "by", "on", "index", "id_columns", "value_columns"]);
// A pivot's `columns` is one column (a string); elsewhere `columns` is a list.

type Obj = Record<string, unknown>;

function deref(schema: Schema, defs: Record<string, Schema>): Schema {
  return schema.$ref ? defs[schema.$ref.split("/").pop() ?? ""] ?? {} : schema;
}

/** The schema without a `null` alternative, and whether null was allowed. */
function unwrap(schema: Schema, defs: Record<string, Schema>): [Schema, boolean] {
  const options = schema.anyOf;
  if (!options) return [deref(schema, defs), false];
  const rest = options.filter((option) => option.type !== "null");
  const nullable = rest.length < options.length;
  return [rest.length === 1 ? deref(rest[0], defs) : { anyOf: rest }, nullable];
}

export function stepSchema(kind: string, defs: Record<string, Schema>): Schema | undefined {
  return Object.values(defs).find((def) => def.properties?.kind?.const === kind);
}

export function stepHelp(kind: string, defs: Record<string, Schema>): string {
  return (stepSchema(kind, defs)?.description ?? "").split("\n")[0];
}

/** The form of one step: custom editors where they fit, the schema elsewhere. */
export function stepForm(step: Step, ctx: FormContext): HTMLElement {
  const box = el("div", "nbd-editor");
  const schema = stepSchema(step.kind, ctx.defs);
  if (!schema?.properties) {
    box.append(el("div", "nbd-step-error", `Unknown step kind ${JSON.stringify(step.kind)}.`));
    return box;
  }
  if (step.kind === "filter") {
    box.append(conditionGroupEditor(step as unknown as Group, { ...ctx, depth: 1 }));
    // The reference date only matters to relative periods ("last 30 days").
    if (usesPeriod(step as unknown as Group)) {
      const asOf = { ...schema.properties.as_of, title: "Periods relative to (empty: today)" };
      box.append(fieldRow(step, "as_of", asOf, ctx));
    }
    return box;
  }

  const row = el("div", "nbd-row nbd-fields");
  for (const [key, field] of Object.entries(schema.properties)) {
    if (key === "kind") continue;
    const control = fieldRow(step, key, field, ctx);
    (control.classList.contains("nbd-block") ? box : row).append(control);
  }
  box.prepend(row);
  return box;
}

function usesPeriod(group: Group): boolean {
  return group.conditions.some((item) =>
    "conditions" in item ? usesPeriod(item as Group) : item.op === "in period");
}

function fieldRow(owner: Obj, key: string, field: Schema, ctx: FormContext): HTMLElement {
  const kind = owner.kind as string | undefined;
  // An aggregation's percentile only means something for the percentile function.
  if (key === "p" && owner.kind === undefined) {
    if (owner.func !== "percentile") return el("span", "nbd-hidden");
    field = { ...field, title: "Percentile (0-100)" };
  }
  const title = field.title ?? key;
  const path = `${ctx.path}.${key}`;
  if (kind === "derive" && key === "expression") return block(title, expressionEditor(owner, ctx));
  if (kind === "rename" && key === "mapping") return block(title, mappingEditor(owner, ctx));
  if (kind === "pivot" && key === "columns") return labelled(title, columnSelect(owner, key, ctx, path));
  if (kind === "join" && key === "dataset") return labelled(title, datasetSelect(owner, key, ctx, path));
  if (kind === "append" && key === "datasets") return labelled(title, datasetList(owner, key, ctx, path));
  if (kind === "fill_missing" && key === "value") return fillValue(owner, ctx, path);
  if ((kind === "select" || kind === "reorder") && key === "columns") return block(title, orderedColumns(owner, key, ctx, path));
  if (COLUMN_FIELDS.has(key) && field.type === "string") return labelled(title, columnSelect(owner, key, ctx, path));
  if (COLUMN_LIST_FIELDS.has(key) && field.type === "array") return labelled(title, columnList(owner, key, ctx, path));
  return genericField(owner, key, field, ctx, path);
}

function block(title: string, control: HTMLElement): HTMLElement {
  const node = labelled(title, control);
  node.classList.add("nbd-block");
  return node;
}

function genericField(owner: Obj, key: string, field: Schema, ctx: FormContext, path: string): HTMLElement {
  const [schema, nullable] = unwrap(field, ctx.defs);
  const title = field.title ?? key;
  if (schema.enum) {
    const choices = nullable ? ["", ...schema.enum] : schema.enum;
    return labelled(title, select(choices, String(owner[key] ?? schema.default ?? ""), (value) => {
      owner[key] = value === "" ? null : value;
      // fill_missing takes a value with "value" only; the kernel refuses it otherwise.
      if (owner.kind === "fill_missing" && key === "strategy") owner.value = value === "value" ? owner.value ?? "" : null;
      // An aggregation takes a percentile with "percentile" only (the median by default).
      if (key === "func") owner.p = value === "percentile" ? owner.p ?? 50 : null;
      ctx.commit(true);
    }, path));
  }
  if (schema.type === "boolean") return labelled(title, checkbox(Boolean(owner[key] ?? schema.default), path, (on) => {
    owner[key] = on;
    ctx.commit(true);
  }));
  if (schema.type === "integer" || schema.type === "number") return labelled(title, numberInput(owner, key, schema, nullable, ctx, path));
  if (schema.type === "string" && schema.format === "date") return labelled(title, dateInput(owner, key, ctx, path));
  if (schema.type === "array" && schema.items && deref(schema.items, ctx.defs).properties) {
    return block(title, objectList(owner, key, deref(schema.items, ctx.defs), ctx, path));
  }
  if (schema.type === "array" && schema.prefixItems) return labelled(title, tupleInputs(owner, key, schema, ctx, path));
  if (schema.type === "array") return labelled(title, textList(owner, key, ctx, path));
  return labelled(title, textInput(scalarText(owner[key] ?? ""), (text) => {
    owner[key] = text === "" && nullable ? null : text;
    ctx.commit(false);
  }, path, nullable ? "(optional)" : ""));
}

const names = (columns: Column[]) => columns.map((c) => c.name);

function columnSelect(owner: Obj, key: string, ctx: FormContext, path: string): HTMLSelectElement {
  return select(names(ctx.columns), String(owner[key] ?? ""), (value) => {
    owner[key] = value;
    ctx.commit(true);
  }, path);
}

function columnList(owner: Obj, key: string, ctx: FormContext, path: string): HTMLSelectElement {
  return multiSelect(names(ctx.columns), (owner[key] as string[]) ?? [], (values) => {
    owner[key] = values;
    ctx.commit(true);
  }, path);
}

function datasetSelect(owner: Obj, key: string, ctx: FormContext, path: string): HTMLSelectElement {
  return select(ctx.datasets, String(owner[key] ?? ""), (value) => {
    owner[key] = value;
    ctx.commit(true);
  }, path);
}

function datasetList(owner: Obj, key: string, ctx: FormContext, path: string): HTMLSelectElement {
  return multiSelect(ctx.datasets, (owner[key] as string[]) ?? [], (values) => {
    owner[key] = values;
    ctx.commit(true);
  }, path);
}

// Select and reorder keep the order given, which a multi-select cannot show: one row
// per column, moved up and down.
function orderedColumns(owner: Obj, key: string, ctx: FormContext, path: string): HTMLElement {
  const box = el("div", "nbd-editor");
  const chosen = [...((owner[key] as string[]) ?? [])];
  const write = () => {
    owner[key] = [...chosen];
    ctx.commit(true);
  };
  const swap = (a: number, b: number) => {
    [chosen[a], chosen[b]] = [chosen[b], chosen[a]];
    write();
  };
  chosen.forEach((name, index) => {
    const row = el("div", "nbd-row nbd-item");
    row.append(select(names(ctx.columns), name, (value) => {
      chosen[index] = value;
      write();
    }, `${path}.${index}`));
    const up = button("↑", () => swap(index, index - 1), "nbd-btn nbd-small");
    const down = button("↓", () => swap(index, index + 1), "nbd-btn nbd-small");
    up.disabled = index === 0;
    down.disabled = index === chosen.length - 1;
    row.append(up, down);
    if (chosen.length > 1) row.append(button("✕", () => {
      chosen.splice(index, 1);
      write();
    }, "nbd-btn nbd-small"));
    box.append(row);
  });
  const unused = names(ctx.columns).filter((name) => !chosen.includes(name));
  const add = button("+ column", () => {
    chosen.push(unused[0]);
    write();
  }, "nbd-btn nbd-small");
  add.disabled = unused.length === 0;
  box.append(add);
  return box;
}

export function checkbox(on: boolean, path: string, onChange: (on: boolean) => void): HTMLInputElement {
  const node = el("input", "nbd-check");
  node.type = "checkbox";
  node.checked = on;
  node.dataset.path = path;
  node.addEventListener("change", () => onChange(node.checked));
  return node;
}

function numberInput(owner: Obj, key: string, schema: Schema, nullable: boolean, ctx: FormContext, path: string): HTMLInputElement {
  const node = el("input", "nbd-input nbd-number");
  node.type = "number";
  node.dataset.path = path;
  node.value = owner[key] === null || owner[key] === undefined ? "" : String(owner[key]);
  node.placeholder = nullable ? "(optional)" : "";
  if (schema.minimum !== undefined) node.min = String(schema.minimum);
  if (schema.maximum !== undefined) node.max = String(schema.maximum);
  node.step = schema.type === "integer" ? "1" : "any";
  node.addEventListener("input", () => {
    if (node.value === "") owner[key] = nullable ? null : owner[key];
    else owner[key] = Number(node.value);
    ctx.commit(false);
  });
  return node;
}

function dateInput(owner: Obj, key: string, ctx: FormContext, path: string): HTMLInputElement {
  const node = el("input", "nbd-input");
  node.type = "date";
  node.dataset.path = path;
  node.value = String(owner[key] ?? "");
  node.addEventListener("change", () => {
    owner[key] = node.value === "" ? null : node.value;
    ctx.commit(true);
  });
  return node;
}

function tupleInputs(owner: Obj, key: string, schema: Schema, ctx: FormContext, path: string): HTMLElement {
  const box = el("span", "nbd-row");
  const values = [...((owner[key] as string[]) ?? (schema.default as string[]) ?? [])];
  (schema.prefixItems ?? []).forEach((_item, index) => {
    box.append(textInput(values[index] ?? "", (text) => {
      values[index] = text;
      owner[key] = [...values];
      ctx.commit(false);
    }, `${path}.${index}`));
  });
  return box;
}

function textList(owner: Obj, key: string, ctx: FormContext, path: string): HTMLInputElement {
  const current = owner[key];
  return textInput(Array.isArray(current) ? current.join(", ") : "", (text) => {
    const parts = text.split(",").map((part) => part.trim()).filter((part) => part !== "");
    owner[key] = parts.length === 0 ? null : parts;
    ctx.commit(false);
  }, path, "a, b (optional)");
}

function fillValue(owner: Obj, ctx: FormContext, path: string): HTMLElement {
  const node = labelled("Value", textInput(scalarText(owner.value), (text) => {
    const first = ctx.columns.find((c) => c.name === (owner.columns as string[])?.[0]);
    owner.value = owner.strategy === "value" ? parseScalar(text, first) : null;
    ctx.commit(false);
  }, path));
  node.hidden = owner.strategy !== "value";
  return node;
}

// Sub-objects such as aggregations and sort keys: one row each, added and removed.
function objectList(owner: Obj, key: string, item: Schema, ctx: FormContext, path: string): HTMLElement {
  const box = el("div", "nbd-editor");
  const items = (owner[key] as Obj[]) ?? [];
  items.forEach((entry, index) => {
    const row = el("div", "nbd-row nbd-item");
    for (const [field, schema] of Object.entries(item.properties ?? {})) {
      row.append(fieldRow(entry, field, schema, { ...ctx, path: `${path}.${index}` }));
    }
    if (items.length > 1) row.append(button("✕", () => {
      items.splice(index, 1);
      ctx.commit(true);
    }, "nbd-btn nbd-small"));
    box.append(row);
  });
  const noun = (item.title ?? "item").replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
  box.append(button(`+ ${noun}`, () => {
    items.push(newItem(item, ctx.columns));
    owner[key] = items;
    ctx.commit(true);
  }, "nbd-btn nbd-small"));
  return box;
}

function newItem(item: Schema, columns: Column[]): Obj {
  const value: Obj = {};
  for (const name of item.required ?? []) {
    const field = item.properties?.[name] ?? {};
    if (name === "column") value[name] = columns[0]?.name ?? "";
    else if (field.enum) value[name] = field.enum.includes("count") ? "count" : field.enum[0];
    else if (field.type === "boolean") value[name] = true;
    else value[name] = "";
  }
  return value;
}

// Rename: one row per renamed column, old name chosen from the columns at the step.
function mappingEditor(owner: Obj, ctx: FormContext): HTMLElement {
  const box = el("div", "nbd-editor");
  const mapping = (owner.mapping as Record<string, string>) ?? {};
  const entries = Object.entries(mapping);
  const write = (pairs: Array<[string, string]>, immediate: boolean) => {
    owner.mapping = Object.fromEntries(pairs);
    ctx.commit(immediate);
  };
  entries.forEach(([old, renamed], index) => {
    const row = el("div", "nbd-row nbd-item");
    row.append(select(names(ctx.columns), old, (value) => {
      entries[index] = [value, renamed];
      write(entries, true);
    }, `${ctx.path}.m${index}.old`));
    row.append(el("span", "nbd-label", "→"));
    row.append(textInput(renamed, (text) => {
      entries[index] = [old, text];
      write(entries, false);
    }, `${ctx.path}.m${index}.new`, "new name"));
    if (entries.length > 1) row.append(button("✕", () => {
      entries.splice(index, 1);
      write(entries, true);
    }, "nbd-btn nbd-small"));
    box.append(row);
  });
  box.append(button("+ rename", () => {
    const free = ctx.columns.find((c) => !(c.name in mapping))?.name ?? "";
    entries.push([free, `${free}_renamed`]);
    write(entries, true);
  }, "nbd-btn nbd-small"));
  return box;
}
