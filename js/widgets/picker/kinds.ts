// Which spec fields each chart kind takes (mirrors _FIELD_KINDS in charts/spec.py), and
// how a spec is carried over to another kind without fields the new kind refuses.
import type { Column } from "../builder/steps";

export type Spec = Record<string, unknown> & { kind?: string; x?: string; y?: string | null; title?: string };

const COMMON = ["y", "agg", "bucket", "color"];

export const KIND_FIELDS: Record<string, string[]> = {
  line: [...COMMON, "measures", "rolling"],
  area: [...COMMON, "measures", "rolling", "stacked"],
  bar: [...COMMON, "measures", "top_n", "sort", "stacked", "horizontal"],
  pie: ["y", "agg", "bucket", "top_n", "sort"],
  donut: ["y", "agg", "bucket", "top_n", "sort"],
  scatter: ["y", "color", "size", "trend"],
  histogram: ["color", "bins"],
  box: ["y", "bucket", "top_n"],
  heatmap: [...COMMON, "top_n"],
  kpi: ["y", "agg", "bucket"],
};

// Fields every kind keeps; the others go when the new kind does not take them.
const KEPT = ["dataset", "x", "title", "x_label", "y_label", "number_format", "date_format", "palette", "colors"];

export function retarget(spec: Spec, kind: string, columns: Column[]): Spec {
  const allowed = new Set([...KEPT, ...(KIND_FIELDS[kind] ?? [])]);
  const next: Spec = { kind };
  for (const [field, value] of Object.entries(spec)) {
    if (allowed.has(field)) next[field] = value;
  }
  const numbers = columns.filter((c) => c.kind === "number").map((c) => c.name);
  if (kind === "histogram") {
    next.x = numbers.includes(String(spec.x)) ? spec.x : (spec.y ?? numbers[0] ?? spec.x);
    next.agg = "count";
  }
  if ((kind === "scatter" || kind === "box") && !next.y) {
    next.y = numbers.find((name) => name !== next.x) ?? null;
  }
  if (next.y === null || next.y === undefined) next.agg = "count";
  else if (next.agg === "count" && kind !== "kpi") next.agg = "sum";
  return next;
}
