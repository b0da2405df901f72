// The pipeline as JSON, the step kinds the kernel defines (nbdash.transform.steps),
// their labels and menu groups, and a valid new step of each kind. The forms that
// edit a step are drawn from the kernel's JSON schema (form.ts).

export interface Column {
  name: string;
  dtype: string;
  kind: "number" | "datetime" | "bool" | "text";
}

export type Scalar = string | number | boolean;

/** Any step: its `kind` plus the fields of that kind, edited in place by the forms. */
export type Step = { kind: string } & Record<string, unknown>;

export interface PipelineJson {
  source: string;
  output?: string | null;
  steps: Step[];
  disabled?: number[];
}

export const STEP_LABELS: Record<string, string> = {
  filter: "Filter rows",
  sort: "Sort",
  top_n: "Top N",
  sample: "Random sample",
  drop_duplicates: "Remove duplicates",
  select: "Select columns",
  drop_columns: "Drop columns",
  rename: "Rename columns",
  reorder: "Reorder columns",
  cast: "Change type",
  derive: "New column (expression)",
  group: "Group & aggregate",
  pivot: "Pivot",
  unpivot: "Unpivot",
  bucket_date: "Date bucket",
  fill_missing: "Fill missing",
  drop_missing: "Drop rows with missing",
  drop_missing_columns: "Drop mostly-missing columns",
  flag_missing: "Flag missing",
  join: "Join a dataset",
  append: "Append datasets",
};

export const STEP_GROUPS: Array<[string, string[]]> = [
  ["Rows", ["filter", "sort", "top_n", "sample", "drop_duplicates"]],
  ["Columns", ["select", "drop_columns", "rename", "reorder", "cast", "derive"]],
  ["Summarise & reshape", ["group", "pivot", "unpivot", "bucket_date"]],
  ["Missing data", ["fill_missing", "drop_missing", "drop_missing_columns", "flag_missing"]],
  ["Combine", ["join", "append"]],
];

export function label(kind: string): string {
  return STEP_LABELS[kind] ?? kind;
}

/** A step of `kind` that the kernel accepts as it is, built from the columns at hand. */
export function newStep(kind: string, columns: Column[], datasets: string[]): Step {
  const first = columns[0]?.name ?? "";
  const number = columns.find((c) => c.kind === "number")?.name ?? first;
  const date = columns.find((c) => c.kind === "datetime")?.name ?? first;
  // Group on a category (text) column when there is one: grouping on a measure gives
  // one group per distinct number, which nobody means.
  const key = columns.find((c) => c.kind === "text")?.name ?? date;
  // A pivot needs three different columns: rows, the new column names, the values.
  const values = pick(columns, "number", [first]);
  const spread = pick(columns, "text", [first, values]);
  const defaults: Record<string, Record<string, unknown>> = {
    filter: { conditions: [{ column: first, op: "is not missing" }], combine: "and" },
    sort: { keys: [{ column: first, ascending: true }], missing: "last" },
    top_n: { column: number, n: 10 },
    sample: { n: 100, seed: 0 },
    drop_duplicates: { columns: [], keep: "first" },
    select: { columns: columns.map((c) => c.name) },
    drop_columns: { columns: [first] },
    rename: { mapping: { [first]: `${first}_renamed` } },
    reorder: { columns: [first] },
    cast: { column: first, to: "text", errors: "raise" },
    derive: { name: "new_column", expression: first ? `[${first.replace(/]/g, "]]")}]` : "1" },
    group: { by: [key], aggregations: [{ column: number, func: number === key ? "count" : "sum" }] },
    pivot: { index: [first], columns: spread, values, agg: "sum" },
    unpivot: { id_columns: [first], value_columns: [], name_column: "variable", value_column: "value" },
    bucket_date: { column: date, unit: "month" },
    fill_missing: { columns: [first], strategy: "value", value: "" },
    drop_missing: { columns: [], how: "any" },
    drop_missing_columns: { max_missing: 0.5, columns: [] },
    flag_missing: { column: first, flag_column: `${first}_missing` },
    join: { dataset: datasets[0] ?? "", on: [first], how: "inner" },
    append: { datasets: datasets.slice(0, 1) },
  };
  return { kind, ...(defaults[kind] ?? {}) };
}

/** A column of `kind` not in `exclude`; else any column not in it; else the first. */
function pick(columns: Column[], kind: Column["kind"], exclude: string[]): string {
  const free = columns.filter((c) => !exclude.includes(c.name));
  return (free.find((c) => c.kind === kind) ?? free[0] ?? columns[0])?.name ?? "";
}

/** Read what the user typed as the value type of the column it goes with. */
export function parseScalar(text: string, column: Column | undefined): Scalar {
  if (column?.kind === "number" && text.trim() !== "" && !Number.isNaN(Number(text))) return Number(text);
  if (column?.kind === "bool" && (text === "true" || text === "false")) return text === "true";
  return text;
}

export function scalarText(value: unknown): string {
  if (value === null || value === undefined) return "";
  return Array.isArray(value) ? value.map(String).join(", ") : String(value);
}
