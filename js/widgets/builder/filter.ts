// The filter editor: conditions and nested AND/OR groups, each condition a column, an
// operator and a value input that fits the operator (none, one, two, a list, a
// relative period).
import { el, button, select, textInput } from "./dom";
import { parseScalar, scalarText, type Column } from "./steps";

export const OPS = [
  "==", "!=", "<", "<=", ">", ">=", "between", "in", "not in",
  "contains", "starts with", "ends with", "is missing", "is not missing", "in period",
];
const TEXT_OPS = ["contains", "starts with", "ends with"];
const MAX_DEPTH = 8; // the kernel refuses deeper nesting

interface Period {
  which: "last" | "this" | "previous" | "to_date";
  unit: string;
  n?: number;
}

interface Condition {
  column: string;
  op: string;
  value?: unknown;
  case?: boolean;
  period?: Period | null;
}

export interface Group {
  combine: "and" | "or";
  conditions: Array<Condition | Group>;
}

export interface FilterContext {
  columns: Column[];
  path: string;
  depth: number;
  commit: (immediate: boolean) => void;
}

const isGroup = (item: Condition | Group): item is Group => !("column" in item) && "conditions" in item;

export function conditionGroupEditor(group: Group, ctx: FilterContext): HTMLElement {
  const box = el("div", ctx.depth > 1 ? "nbd-group nbd-nested" : "nbd-group");
  box.append(select([{ value: "and", label: "all of (AND)" }, { value: "or", label: "any of (OR)" }], group.combine ?? "and", (value) => {
    group.combine = value as "and" | "or";
    ctx.commit(true);
  }, `${ctx.path}.combine`));

  group.conditions.forEach((item, index) => {
    const path = `${ctx.path}.${index}`;
    const row = el("div", "nbd-row nbd-item");
    if (isGroup(item)) row.append(conditionGroupEditor(item, { ...ctx, path, depth: ctx.depth + 1 }));
    else row.append(...conditionInputs(item, { ...ctx, path }));
    if (group.conditions.length > 1) row.append(button("✕", () => {
      group.conditions.splice(index, 1);
      ctx.commit(true);
    }, "nbd-btn nbd-small"));
    box.append(row);
  });

  const first = ctx.columns[0]?.name ?? "";
  const adds = el("div", "nbd-row");
  adds.append(button("+ condition", () => {
    group.conditions.push({ column: first, op: "is not missing" });
    ctx.commit(true);
  }, "nbd-btn nbd-small"));
  if (ctx.depth < MAX_DEPTH) adds.append(button("+ group", () => {
    const other = group.combine === "and" ? "or" : "and";
    group.conditions.push({ combine: other, conditions: [{ column: first, op: "is not missing" }] });
    ctx.commit(true);
  }, "nbd-btn nbd-small"));
  box.append(adds);
  return box;
}

function conditionInputs(condition: Condition, ctx: FilterContext): HTMLElement[] {
  const column = () => ctx.columns.find((c) => c.name === condition.column);
  const nodes: HTMLElement[] = [
    select(ctx.columns.map((c) => c.name), condition.column, (value) => {
      condition.column = value;
      ctx.commit(true);
    }, `${ctx.path}.column`),
    select(OPS, condition.op, (op) => {
      setOp(condition, op, column());
      ctx.commit(true);
    }, `${ctx.path}.op`),
  ];
  return [...nodes, ...valueInputs(condition, column, ctx)];
}

// A new operator keeps what it can of the old value and drops what it cannot take.
function setOp(condition: Condition, op: string, column: Column | undefined): void {
  const text = scalarText(condition.value);
  condition.op = op;
  delete condition.period;
  if (op === "is missing" || op === "is not missing") condition.value = null;
  else if (op === "in period") {
    condition.value = null;
    condition.period = { which: "last", unit: "day", n: 30 };
  } else condition.value = parseValue(op, text, column);
  if (!TEXT_OPS.includes(op)) delete condition.case;
}

function parseValue(op: string, text: string, column: Column | undefined): unknown {
  const parts = text.split(",").map((part) => part.trim());
  if (op === "in" || op === "not in") return parts.filter((part) => part !== "").map((part) => parseScalar(part, column));
  if (op === "between") return [parseScalar(parts[0] ?? "", column), parseScalar(parts[1] ?? "", column)];
  if (TEXT_OPS.includes(op)) return text;
  return parseScalar(text, column);
}

function valueInputs(condition: Condition, column: () => Column | undefined, ctx: FilterContext): HTMLElement[] {
  const op = condition.op;
  if (op === "is missing" || op === "is not missing") return [];
  if (op === "in period") return periodInputs(condition, ctx);
  if (op === "between") {
    const bounds = Array.isArray(condition.value) ? [...condition.value] : ["", ""];
    return [0, 1].map((index) => textInput(scalarText(bounds[index]), (text) => {
      bounds[index] = parseScalar(text, column());
      condition.value = [...bounds];
      ctx.commit(false);
    }, `${ctx.path}.value${index}`, index === 0 ? "from" : "to"));
  }
  const hint = op.endsWith("in") ? "a, b, c" : "value";
  const input = textInput(scalarText(condition.value), (text) => {
    condition.value = parseValue(op, text, column());
    ctx.commit(false);
  }, `${ctx.path}.value`, hint);
  if (!TEXT_OPS.includes(op)) return [input];

  const box = el("label", "nbd-field");
  const check = el("input");
  check.type = "checkbox";
  check.checked = condition.case === false;
  check.dataset.path = `${ctx.path}.case`;
  check.addEventListener("change", () => {
    condition.case = !check.checked;
    ctx.commit(true);
  });
  box.append(check, el("span", "nbd-label", "ignore case"));
  return [input, box];
}

function periodInputs(condition: Condition, ctx: FilterContext): HTMLElement[] {
  const period = condition.period ?? { which: "last", unit: "day", n: 30 };
  condition.period = period;
  const which = select([
    { value: "last", label: "last" }, { value: "this", label: "this" },
    { value: "previous", label: "previous" }, { value: "to_date", label: "to date" },
  ], period.which, (value) => {
    period.which = value as Period["which"];
    if (value === "this" || value === "to_date") delete period.n;
    else period.n = period.n ?? 1;
    ctx.commit(true);
  }, `${ctx.path}.which`);
  const unit = select(["day", "week", "month", "quarter", "year"], period.unit, (value) => {
    period.unit = value;
    ctx.commit(true);
  }, `${ctx.path}.unit`);
  if (period.which === "this" || period.which === "to_date") return [which, unit];

  const count = el("input", "nbd-input nbd-number");
  count.type = "number";
  count.min = "1";
  count.value = String(period.n ?? 1);
  count.dataset.path = `${ctx.path}.n`;
  count.addEventListener("input", () => {
    period.n = Math.max(1, Math.floor(Number(count.value) || 1));
    ctx.commit(false);
  });
  return [which, count, unit];
}
