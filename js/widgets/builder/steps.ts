// The pipeline steps as the kernel's transform models define them (nbdash.transform),
// a valid new step of each kind, and one editor per kind.
import { el, button, select, multiSelect, textInput, labelled } from "./dom";

export interface Column {
  name: string;
  dtype: string;
  kind: "number" | "datetime" | "bool" | "text";
}

export type Scalar = string | number | boolean;

export interface Condition {
  column: string;
  op: string;
  value?: Scalar | Scalar[] | null;
  case?: boolean;
}

export type Step =
  | { kind: "filter"; conditions: Condition[]; combine: "and" | "or" }
  | { kind: "sort"; keys: { column: string; ascending: boolean }[] }
  | { kind: "group"; by: string[]; aggregations: { column: string; func: string; name?: string | null }[] }
  | { kind: "fill_missing"; columns: string[]; strategy: "value" | "mean" | "median"; value?: Scalar | null }
  | { kind: "drop_missing"; columns: string[] }
  | { kind: "flag_missing"; column: string; flag_column: string };

export interface PipelineJson {
  source: string;
  output?: string | null;
  steps: Step[];
}

export const STEP_LABELS: Record<Step["kind"], string> = {
  filter: "Filter",
  sort: "Sort",
  group: "Group & aggregate",
  fill_missing: "Fill missing",
  drop_missing: "Drop missing rows",
  flag_missing: "Flag missing",
};

const OPS = ["==", "!=", "<", "<=", ">", ">=", "between", "in", "not in", "contains", "is missing", "is not missing"];
const FUNCS = ["sum", "mean", "median", "min", "max", "count"];

/** A step of `kind` that the kernel accepts as it is, using the first column. */
export function newStep(kind: Step["kind"], columns: Column[]): Step {
  const first = columns[0]?.name ?? "";
  switch (kind) {
    case "filter":
      return { kind, conditions: [{ column: first, op: "is not missing" }], combine: "and" };
    case "sort":
      return { kind, keys: [{ column: first, ascending: true }] };
    case "group": {
      const measure = columns.find((c) => c.kind === "number" && c.name !== first)?.name ?? first;
      const func = measure === first ? "count" : "sum";
      return { kind, by: [first], aggregations: [{ column: measure, func, name: `${measure}_${func}` }] };
    }
    case "fill_missing":
      return { kind, columns: [first], strategy: "value", value: "" };
    case "drop_missing":
      return { kind, columns: [] };
    case "flag_missing":
      return { kind, column: first, flag_column: `${first}_missing` };
  }
}

/** Read what the user typed as the value type of the column it is compared with. */
function parseScalar(text: string, column: Column | undefined): Scalar {
  if (column?.kind === "number" && text.trim() !== "" && !Number.isNaN(Number(text))) return Number(text);
  if (column?.kind === "bool" && (text === "true" || text === "false")) return text === "true";
  return text;
}

function valueText(value: Condition["value"]): string {
  if (value === null || value === undefined) return "";
  return Array.isArray(value) ? value.map(String).join(", ") : String(value);
}

function conditionValue(op: string, text: string, column: Column | undefined): Condition["value"] {
  if (op === "is missing" || op === "is not missing") return null;
  if (op === "in" || op === "not in") {
    return text.split(",").map((part) => part.trim()).filter((part) => part !== "").map((part) => parseScalar(part, column));
  }
  if (op === "between") {
    const [low = "", high = ""] = text.split(",").map((part) => part.trim());
    return [parseScalar(low, column), parseScalar(high, column)];
  }
  if (op === "contains") return text;
  return parseScalar(text, column);
}

export interface EditContext {
  columns: Column[]; // the columns available before this step
  path: string; // a stable id prefix for the step's inputs (focus keeping)
  commit: (immediate: boolean) => void; // the step object was mutated: sync it
}

export function stepEditor(step: Step, ctx: EditContext): HTMLElement {
  switch (step.kind) {
    case "filter":
      return filterEditor(step, ctx);
    case "sort":
      return sortEditor(step, ctx);
    case "group":
      return groupEditor(step, ctx);
    case "fill_missing":
      return fillEditor(step, ctx);
    case "drop_missing":
      return dropEditor(step, ctx);
    case "flag_missing":
      return flagEditor(step, ctx);
  }
}

const names = (columns: Column[]) => columns.map((c) => c.name);

function filterEditor(step: Extract<Step, { kind: "filter" }>, ctx: EditContext): HTMLElement {
  const box = el("div", "nbd-editor");
  box.append(labelled("Combine", select([{ value: "and", label: "all (AND)" }, { value: "or", label: "any (OR)" }], step.combine, (v) => {
    step.combine = v as "and" | "or";
    ctx.commit(true);
  })));
  step.conditions.forEach((condition, index) => {
    const row = el("div", "nbd-row");
    const column = () => ctx.columns.find((c) => c.name === condition.column);
    const needsValue = !condition.op.startsWith("is ");
    row.append(select(names(ctx.columns), condition.column, (v) => {
      condition.column = v;
      ctx.commit(true);
    }));
    row.append(select(OPS, condition.op, (v) => {
      condition.op = v;
      condition.value = conditionValue(v, valueText(condition.value), column());
      ctx.commit(true);
    }));
    if (needsValue) {
      const hint = condition.op === "between" ? "low, high" : condition.op.endsWith("in") ? "a, b, c" : "value";
      row.append(textInput(valueText(condition.value), (text) => {
        condition.value = conditionValue(condition.op, text, column());
        ctx.commit(false);
      }, `${ctx.path}.c${index}.value`, hint));
    }
    if (step.conditions.length > 1) {
      row.append(button("✕", () => {
        step.conditions.splice(index, 1);
        ctx.commit(true);
      }, "nbd-btn nbd-small"));
    }
    box.append(row);
  });
  box.append(button("+ condition", () => {
    step.conditions.push({ column: ctx.columns[0]?.name ?? "", op: "is not missing" });
    ctx.commit(true);
  }, "nbd-btn nbd-small"));
  return box;
}

function sortEditor(step: Extract<Step, { kind: "sort" }>, ctx: EditContext): HTMLElement {
  const box = el("div", "nbd-editor");
  step.keys.forEach((key, index) => {
    const row = el("div", "nbd-row");
    row.append(select(names(ctx.columns), key.column, (v) => {
      key.column = v;
      ctx.commit(true);
    }));
    row.append(select([{ value: "asc", label: "ascending" }, { value: "desc", label: "descending" }], key.ascending ? "asc" : "desc", (v) => {
      key.ascending = v === "asc";
      ctx.commit(true);
    }));
    if (step.keys.length > 1) {
      row.append(button("✕", () => {
        step.keys.splice(index, 1);
        ctx.commit(true);
      }, "nbd-btn nbd-small"));
    }
    box.append(row);
  });
  box.append(button("+ key", () => {
    step.keys.push({ column: ctx.columns[0]?.name ?? "", ascending: true });
    ctx.commit(true);
  }, "nbd-btn nbd-small"));
  return box;
}

function groupEditor(step: Extract<Step, { kind: "group" }>, ctx: EditContext): HTMLElement {
  const box = el("div", "nbd-editor");
  box.append(labelled("Group by", multiSelect(names(ctx.columns), step.by, (values) => {
    step.by = values;
    ctx.commit(true);
  })));
  step.aggregations.forEach((aggregation, index) => {
    const row = el("div", "nbd-row");
    row.append(select(names(ctx.columns), aggregation.column, (v) => {
      aggregation.column = v;
      ctx.commit(true);
    }));
    row.append(select(FUNCS, aggregation.func, (v) => {
      aggregation.func = v;
      ctx.commit(true);
    }));
    row.append(textInput(aggregation.name ?? "", (text) => {
      aggregation.name = text.trim() === "" ? null : text;
      ctx.commit(false);
    }, `${ctx.path}.a${index}.name`, "output name"));
    if (step.aggregations.length > 1) {
      row.append(button("✕", () => {
        step.aggregations.splice(index, 1);
        ctx.commit(true);
      }, "nbd-btn nbd-small"));
    }
    box.append(row);
  });
  box.append(button("+ aggregation", () => {
    const column = ctx.columns[0]?.name ?? "";
    step.aggregations.push({ column, func: "count", name: `${column}_count_${step.aggregations.length + 1}` });
    ctx.commit(true);
  }, "nbd-btn nbd-small"));
  return box;
}

function fillEditor(step: Extract<Step, { kind: "fill_missing" }>, ctx: EditContext): HTMLElement {
  const box = el("div", "nbd-editor");
  box.append(labelled("Columns", multiSelect(names(ctx.columns), step.columns, (values) => {
    step.columns = values;
    ctx.commit(true);
  })));
  const row = el("div", "nbd-row");
  row.append(labelled("Strategy", select(["value", "mean", "median"], step.strategy, (v) => {
    step.strategy = v as "value" | "mean" | "median";
    // The kernel wants a value with "value" and none with mean/median.
    step.value = v === "value" ? "" : null;
    ctx.commit(true);
  })));
  if (step.strategy === "value") {
    const first = ctx.columns.find((c) => c.name === step.columns[0]);
    row.append(labelled("Value", textInput(valueText(step.value), (text) => {
      step.value = parseScalar(text, first);
      ctx.commit(false);
    }, `${ctx.path}.value`)));
  }
  box.append(row);
  return box;
}

function dropEditor(step: Extract<Step, { kind: "drop_missing" }>, ctx: EditContext): HTMLElement {
  const box = el("div", "nbd-editor");
  box.append(labelled("Columns (none = any)", multiSelect(names(ctx.columns), step.columns, (values) => {
    step.columns = values;
    ctx.commit(true);
  })));
  return box;
}

function flagEditor(step: Extract<Step, { kind: "flag_missing" }>, ctx: EditContext): HTMLElement {
  const box = el("div", "nbd-editor nbd-row");
  box.append(labelled("Column", select(names(ctx.columns), step.column, (v) => {
    step.column = v;
    ctx.commit(true);
  })));
  box.append(labelled("Flag name", textInput(step.flag_column, (text) => {
    step.flag_column = text;
    ctx.commit(false);
  }, `${ctx.path}.flag`)));
  return box;
}
