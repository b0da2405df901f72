// Upload widget: picks a file, sends it to the kernel in acknowledged slices (the
// Jupyter server drops websocket messages over 10 MiB), hashes it on the way with an
// incremental SHA-256, and shows the ingest report. Protocol: widgets/upload.py.
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { Rpc, type AnyModel } from "../../shared/rpc";
import { errorBanner, formatBytes, h, injectStyle } from "../../shared/ui";
import baseCss from "../../shared/base.css";
import css from "./upload.css";

interface StartReply {
  upload_id: string;
  chunk_size: number;
}

interface ColumnReport {
  name?: string;
  original_name?: string;
  dtype?: string;
  kind?: string;
  overridden?: boolean;
  missing?: number;
  unparseable?: number;
  sample_lines?: number[];
  notes?: string[];
}

interface Problem {
  line?: number | null;
  column?: string | null;
  message?: string;
}

// Mirrors ReadOptions in widgets/upload.py.
interface ReadOptions {
  encoding?: string;
  delimiter?: string;
  header_row?: number;
  sheet?: string;
  column_types?: Record<string, string>;
  date_formats?: Record<string, string>;
  missing_values?: string[];
  dayfirst?: boolean;
}

// Mirrors nbdash.ingest.types.KINDS; "auto" lets the reader decide.
const KINDS = ["auto", "text", "integer", "number", "boolean", "datetime", "category"];
const DELIMITERS: [string, string][] = [["", "detect"], [",", "comma ,"], [";", "semicolon ;"], ["\t", "tab"], ["|", "pipe |"]];
// Slices in flight at once: each is still acknowledged, and the kernel appends them
// in the order sent (it checks every offset), but the link stays busy.
const WINDOW = 4;

// Mirrors validate_dataset_name in store/names.py: the message the kernel gives.
export function datasetNameProblem(name: string): string | null {
  const valid = /^[A-Za-z0-9_\-. ]{1,64}$/.test(name) && !name.startsWith(".") && name.trim() === name;
  if (valid) return null;
  return (
    `Invalid dataset name ${JSON.stringify(name)}: a name is 1-64 characters of letters, digits, '_', '-', '.' ` +
    "and spaces, not starting with '.', with no leading or trailing spaces. Rename it, e.g. 'sales_2024'."
  );
}

// What the status line says for each `failure` of widgets/upload.py.
const FAILURES: Record<string, string> = {
  name: "Upload refused: fix the dataset name and upload again.",
  empty: "Upload refused: the file is empty.",
  transfer: "Upload failed: upload the file again.",
  read: "Reading failed: change the read options below and re-read.",
  unreadable: "Reading failed: this file is not a table nbdash can read.",
  reread: "Re-reading failed: the dataset keeps the read shown below.",
};

// A date format makes sense for datetime columns and text columns that may hold dates.
const DATE_NAME = /date|time|day|datum|fecha|jour|data|when|(^|_)(at|on)$/i;

export function wantsDateFormat(column: { name?: string; kind?: string; notes?: string[] }, chosen: string, format: string): boolean {
  if (chosen === "datetime" || format !== "" || column.kind === "datetime") return true;
  if (chosen !== "auto" || column.kind !== "text") return false;
  return DATE_NAME.test(column.name ?? "") || (column.notes ?? []).some((note) => /date/i.test(note));
}

// The reader's notes speak to Python code; in the widget, point at its own fields.
export function widgetNote(note: string): string {
  return note.replace(/pass missing_values=\[(.*?)\] to read them as missing/, (_, inner: string) => {
    const words = [...inner.matchAll(/'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1] ?? m[2]);
    return `add ${words.join(", ")} to Missing values and re-read`;
  });
}

// Mirrors default_dataset_name in widgets/upload.py.
export function defaultDatasetName(filename: string): string {
  const dot = filename.lastIndexOf(".");
  const stem = dot >= 0 ? filename.slice(0, dot) : filename;
  const cleaned = stem.replace(/[^0-9A-Za-z]+/g, "_").replace(/^_+|_+$/g, "").toLowerCase();
  return cleaned.slice(0, 64) || "upload";
}

class UploadView {
  private readonly rpc: Rpc;
  private readonly root = h("div", { className: "nbdash-root nbdash-upload" });
  private readonly input = h("input", { attrs: { type: "file", accept: ".csv,.tsv,.tab,.txt,.xlsx,.xlsm,.xls,.parquet,.pq,.json,.ndjson,.jsonl,.gz,.zip" } });
  private readonly drop = h("div", { className: "drop", text: "Drop a file here or click to choose one" });
  private readonly datasetField = h("input", { attrs: { type: "text", placeholder: "dataset name" } });
  private readonly startButton = h("button", { className: "nbdash-button", text: "Upload" });
  private readonly abortButton = h("button", { className: "nbdash-button", text: "Abort" });
  private readonly bar = h("progress", { attrs: { max: "1", value: "0" } });
  private readonly progressText = h("span", { className: "nbdash-muted" });
  private readonly reportBox = h("div", { className: "report" });
  private readonly banner;
  private file: File | null = null;
  private autoName = "";
  private uploadId: string | null = null;
  private aborted = false;
  private readonly cleanups: (() => void)[] = [];

  constructor(private readonly model: AnyModel, el: HTMLElement) {
    this.rpc = new Rpc(model);
    injectStyle(this.root, baseCss + css);
    this.input.hidden = true;
    this.datasetField.value = String(model.get("dataset") ?? "");
    this.root.append(
      this.drop,
      this.input,
      h("div", { className: "row" }, [h("label", { text: "Dataset:" }), this.datasetField, this.startButton, this.abortButton]),
      h("div", { className: "row" }, [this.bar, this.progressText]),
    );
    this.banner = errorBanner(model, this.root);
    this.root.appendChild(this.reportBox);
    el.appendChild(this.root);
    this.listen();
    this.renderStatus();
    this.renderReport();
  }

  dispose(): void {
    for (const cleanup of this.cleanups) cleanup();
    this.banner.dispose();
    this.rpc.dispose();
    this.root.remove();
  }

  private listen(): void {
    const on = <E extends Event>(target: EventTarget, type: string, fn: (e: E) => void) => {
      target.addEventListener(type, fn as EventListener);
      this.cleanups.push(() => target.removeEventListener(type, fn as EventListener));
    };
    on(this.drop, "click", () => this.input.click());
    on(this.input, "change", () => this.choose(this.input.files?.[0] ?? null));
    on<DragEvent>(this.drop, "dragover", (e) => {
      e.preventDefault();
      this.drop.classList.add("over");
    });
    on(this.drop, "dragleave", () => this.drop.classList.remove("over"));
    on<DragEvent>(this.drop, "drop", (e) => {
      e.preventDefault();
      this.drop.classList.remove("over");
      this.choose(e.dataTransfer?.files?.[0] ?? null);
    });
    on(this.startButton, "click", () => void this.upload());
    on(this.abortButton, "click", () => void this.abort());

    const watch = (name: string, fn: () => void) => {
      this.model.on(`change:${name}`, fn);
      this.cleanups.push(() => this.model.off(`change:${name}`, fn));
    };
    watch("status", () => this.renderStatus());
    watch("report", () => this.renderReport());
    watch("can_reread", () => this.renderReport());
    watch("sheets", () => this.renderReport());
    watch("failure", () => this.renderStatus());
    watch("dataset", () => {
      if (this.uploadId === null) this.datasetField.value = String(this.model.get("dataset") ?? "");
    });
  }

  private choose(file: File | null): void {
    if (file === null || this.uploadId !== null) return;
    this.file = file;
    this.drop.textContent = `${file.name} (${formatBytes(file.size)})`;
    // Follow the file name unless the user typed a name of their own.
    const current = this.datasetField.value.trim();
    if (current === "" || current === this.autoName) {
      this.autoName = defaultDatasetName(file.name);
      this.datasetField.value = this.autoName;
    }
    this.renderStatus();
  }

  private async upload(): Promise<void> {
    const file = this.file;
    if (file === null || this.uploadId !== null) return;
    this.aborted = false;
    const dataset = this.datasetField.value.trim() || defaultDatasetName(file.name);
    const problem = datasetNameProblem(dataset);
    if (problem !== null) {
      // Refused before a byte travels; the kernel checks the same rule at `start`.
      this.banner.show(problem);
      this.progressText.textContent = FAILURES.name;
      return;
    }
    this.banner.show("");
    try {
      const { result } = await this.rpc.request<StartReply>("start", { name: file.name, size: file.size, dataset });
      this.uploadId = result.upload_id;
      this.renderStatus();
      const digest = await this.sendSlices(file, result);
      if (digest === null) return;
      await this.rpc.request("finish", { upload_id: result.upload_id, sha256: digest });
    } catch (error) {
      // The kernel has already set `error` and `status`; show it even if the sync lags.
      if (!this.aborted) this.banner.show(error instanceof Error ? error.message : String(error));
    } finally {
      this.uploadId = null;
      this.renderStatus();
    }
  }

  // Sends the file in slices with up to WINDOW unacknowledged at once; each slice
  // is hashed in order before it goes, and the next one is read from disk while
  // others travel. Returns the hex SHA-256, or null when the user aborted.
  private async sendSlices(file: File, start: StartReply): Promise<string | null> {
    const hasher = sha256.create();
    const began = performance.now();
    const inFlight: Promise<unknown>[] = [];
    let acknowledged = 0;
    let offset = 0;
    while (offset < file.size) {
      const data = await file.slice(offset, offset + start.chunk_size).arrayBuffer();
      if (this.aborted) return null;
      hasher.update(new Uint8Array(data));
      const sent = this.rpc.request("chunk", { upload_id: start.upload_id, offset }, [data]).then(() => {
        acknowledged += data.byteLength;
        this.showProgress(acknowledged, file.size, began);
      });
      inFlight.push(sent);
      offset += data.byteLength;
      if (inFlight.length >= WINDOW) await inFlight.shift();
    }
    await Promise.all(inFlight);
    return this.aborted ? null : bytesToHex(hasher.digest());
  }

  private async abort(): Promise<void> {
    if (this.uploadId === null) return;
    this.aborted = true;
    await this.rpc.request("abort", { upload_id: this.uploadId }).catch(() => undefined);
  }

  private showProgress(sent: number, total: number, began: number): void {
    const seconds = Math.max((performance.now() - began) / 1000, 0.001);
    this.bar.value = total > 0 ? sent / total : 0;
    this.progressText.textContent = `${formatBytes(sent)} of ${formatBytes(total)} · ${formatBytes(sent / seconds)}/s`;
  }

  private renderStatus(): void {
    const status = String(this.model.get("status") ?? "idle");
    const busy = this.uploadId !== null || status === "uploading" || status === "reading";
    this.startButton.disabled = busy || this.file === null;
    this.abortButton.disabled = this.uploadId === null;
    this.datasetField.disabled = busy;
    this.input.disabled = busy;
    if (status === "reading") this.progressText.textContent = "Reading the file…";
    if (status === "aborted") this.progressText.textContent = "Upload aborted.";
    if (status === "error") {
      const failure = String(this.model.get("failure") ?? "");
      this.progressText.textContent = FAILURES[failure] ?? "Upload failed.";
      if (failure !== "reread" && failure !== "read") this.bar.value = 0;
    }
    const reread = this.reportBox.querySelector<HTMLButtonElement>("button.reread");
    if (reread !== null) reread.disabled = busy;
    if (status === "done") {
      this.bar.value = 1;
      this.progressText.textContent = `Done: stored as dataset ${this.model.get("dataset")}.`;
    }
  }

  private renderReport(): void {
    const report = (this.model.get("report") ?? {}) as Record<string, unknown>;
    this.reportBox.replaceChildren();
    const canReread = Boolean(this.model.get("can_reread"));
    if (Object.keys(report).length === 0 && !canReread) return;
    const columns = list<ColumnReport>(report.columns);
    const problems = list<Problem>(report.problems);
    const changes = list<string>(report.changes);
    if (Object.keys(report).length > 0) {
      this.reportBox.append(h("div", { className: "summary", text: this.summary(report, columns) }));
      this.reportBox.append(this.columnTable(columns));
    }
    if (changes.length > 0) this.reportBox.append(this.itemList("changes", plural(changes.length, "change") + " made", changes));
    if (problems.length > 0) this.reportBox.append(this.problemList(problems, Number(report.problem_count ?? problems.length), report.format === "xlsx" ? "row" : "line"));
    if (canReread) this.reportBox.append(this.readOptionsForm());
  }

  private summary(report: Record<string, unknown>, columns: ColumnReport[]): string {
    const how = [report.format, report.encoding, report.delimiter ? `delimiter ${JSON.stringify(report.delimiter)}` : ""]
      .filter(Boolean)
      .join(", ");
    const guess = report.encoding_guess ? `encoding ${String(report.encoding)} (${String(report.encoding_guess)}); if letters look wrong, set Encoding below and re-read` : "";
    const head = `${this.model.get("filename")} → ${this.model.get("dataset")}: ${report.rows} rows, ${plural(columns.length, "column")} (${how})`;
    return guess ? `${head}. ${guess[0].toUpperCase()}${guess.slice(1)}.` : head;
  }

  // One row per column; the type and date-format cells are the overrides' inputs.
  private columnTable(columns: ColumnReport[]): HTMLTableElement {
    const titles = ["column", "in file", "type", "read as", "date format", "missing", "unparseable", "sample lines", "notes"];
    const head = h("tr", {}, titles.map((t) => h("th", { text: t })));
    const options = (this.model.get("options") ?? {}) as ReadOptions;
    const rows = columns.map((c) => {
      const name = String(c.name ?? "");
      const kind = h("select", { className: "kind", attrs: { "data-column": name, "aria-label": `type of ${name}` } });
      for (const option of KINDS) kind.append(h("option", { text: option, attrs: { value: option } }));
      kind.value = options.column_types?.[name] ?? "auto";
      const format = h("input", { className: "date-format", attrs: { type: "text", "data-column": name, placeholder: "%d/%m/%Y", "aria-label": `date format of ${name}` } });
      format.value = options.date_formats?.[name] ?? "";
      const showFormat = () => {
        format.hidden = !wantsDateFormat(c, kind.value, format.value.trim());
      };
      showFormat();
      kind.addEventListener("change", showFormat);
      const cells: Node[] = [
        h("td", { text: name }),
        h("td", { text: String(c.original_name ?? "") }),
        h("td", { text: `${c.kind ?? ""} (${c.dtype ?? ""})${c.overridden ? " chosen" : ""}` }),
        h("td", {}, [kind]),
        h("td", {}, [format]),
        h("td", { text: String(c.missing ?? 0) }),
        h("td", { text: String(c.unparseable ?? 0) }),
        h("td", { text: (c.sample_lines ?? []).join(", ") }),
        h("td", { className: "notes", text: (c.notes ?? []).map(widgetNote).join("; ") }),
      ];
      return h("tr", { className: (c.unparseable ?? 0) > 0 ? "odd" : "" }, cells.map((cell) => cell));
    });
    return h("table", { className: "columns" }, [head, ...rows]);
  }

  private itemList(className: string, title: string, items: string[]): HTMLElement {
    const shown = items.slice(0, 50).map((item) => h("li", { text: item }));
    return h("div", { className }, [h("div", { text: title }), h("ul", {}, shown)]);
  }

  // A problem's place: the file line, or for a workbook the sheet row.
  private problemList(problems: Problem[], total: number, unit: string): HTMLElement {
    const items = problems.slice(0, 50).map((p) => {
      const where = [p.line != null ? `${unit} ${p.line}` : "", p.column ? `column ${p.column}` : ""].filter(Boolean).join(", ");
      return h("li", { text: where ? `${where}: ${p.message ?? ""}` : String(p.message ?? "") });
    });
    const hidden = total - items.length;
    const more = hidden > 0 ? [h("li", { className: "nbdash-muted", text: `… and ${hidden} more` })] : [];
    return h("div", { className: "problems" }, [h("div", { text: plural(total, "problem") }), h("ul", {}, [...items, ...more])]);
  }

  // Sheet, delimiter, encoding, header row, missing values and day order, then
  // "Re-read"; only the fields that apply to the file's format are shown.
  private readOptionsForm(): HTMLElement {
    const options = (this.model.get("options") ?? {}) as ReadOptions;
    const form = this.readOptionFields(options);
    const button = h("button", { className: "nbdash-button reread", text: "Re-read" });
    const status = String(this.model.get("status") ?? "");
    button.disabled = this.uploadId !== null || status === "reading" || status === "uploading";
    button.addEventListener("click", () => void this.reread(form));
    const label = (text: string, input: HTMLElement | undefined) =>
      input === undefined ? [] : [h("label", {}, [document.createTextNode(text), input])];
    return h("div", { className: "read-options" }, [
      h("div", { className: "nbdash-muted", text: "Change what was detected, then read the uploaded file again:" }),
      h("div", { className: "row" }, [
        ...label("Sheet ", form.sheet),
        ...label("Delimiter ", form.delimiter),
        ...label("Encoding ", form.encoding),
        ...label("Header row ", form.header),
        ...label("Missing values ", form.missing),
        ...label("Day first ", form.dayfirst),
        button,
      ]),
    ]);
  }

  private readOptionFields(options: ReadOptions): ReadOptionFields {
    const sheets = list<string>(this.model.get("sheets"));
    const report = (this.model.get("report") ?? {}) as Record<string, unknown>;
    // Unknown before a first successful read: a workbook is known by its sheets.
    const format = String(report.format ?? (sheets.length > 0 ? "xlsx" : ""));
    const isText = format === "" || format === "csv";
    const field = (className: string, placeholder: string, value: string) => {
      const input = h("input", { className, attrs: { type: "text", placeholder, "aria-label": className } });
      input.value = value;
      return input;
    };
    const form: ReadOptionFields = {
      missing: field("missing-values", "e.g. NA, n/a", (options.missing_values ?? []).join(", ")),
      dayfirst: h("input", { className: "dayfirst", attrs: { type: "checkbox", "aria-label": "day first" } }),
    };
    form.dayfirst.checked = options.dayfirst === true;
    if (sheets.length > 0) {
      form.sheet = h("select", { className: "sheet", attrs: { "aria-label": "sheet" } });
      for (const name of sheets) form.sheet.append(h("option", { text: name, attrs: { value: name } }));
      form.sheet.value = options.sheet ?? sheets[0];
    }
    if (isText) {
      form.delimiter = h("select", { className: "delimiter", attrs: { "aria-label": "delimiter" } });
      for (const [value, label] of DELIMITERS) form.delimiter.append(h("option", { text: label, attrs: { value } }));
      form.delimiter.value = options.delimiter ?? "";
      form.encoding = field("encoding", "detect (e.g. cp1252)", options.encoding ?? "");
    }
    if (isText || format === "xlsx") {
      form.header = field("header-row", "detect (0 = first row)", options.header_row?.toString() ?? "");
    }
    return form;
  }

  private async reread(form: ReadOptionFields): Promise<void> {
    const options: ReadOptions = {};
    if (form.sheet?.value) options.sheet = form.sheet.value;
    if (form.delimiter?.value) options.delimiter = form.delimiter.value;
    if (form.encoding?.value.trim()) options.encoding = form.encoding.value.trim();
    const header = form.header?.value.trim() ?? "";
    if (header !== "") {
      const row = Number(header);
      if (!Number.isInteger(row)) {
        this.banner.show(`The header row must be a whole number, got ${JSON.stringify(header)}.`);
        return;
      }
      options.header_row = row;
    }
    const missing = form.missing.value.split(",").map((v) => v.trim()).filter(Boolean);
    if (missing.length > 0) options.missing_values = missing;
    if (form.dayfirst.checked) options.dayfirst = true;
    const types: Record<string, string> = {};
    for (const select of this.reportBox.querySelectorAll<HTMLSelectElement>("select.kind")) {
      if (select.value !== "auto") types[select.dataset.column ?? ""] = select.value;
    }
    const formats: Record<string, string> = {};
    for (const input of this.reportBox.querySelectorAll<HTMLInputElement>("input.date-format")) {
      if (input.value.trim()) formats[input.dataset.column ?? ""] = input.value.trim();
    }
    if (Object.keys(types).length > 0) options.column_types = types;
    if (Object.keys(formats).length > 0) options.date_formats = formats;
    this.banner.show("");
    try {
      await this.rpc.request("reread", { options });
    } catch (error) {
      this.banner.show(error instanceof Error ? error.message : String(error));
    }
  }
}

// The read-option inputs of the form; absent where they do not apply to the format.
interface ReadOptionFields {
  sheet?: HTMLSelectElement;
  delimiter?: HTMLSelectElement;
  encoding?: HTMLInputElement;
  header?: HTMLInputElement;
  missing: HTMLInputElement;
  dayfirst: HTMLInputElement;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

function list<T>(value: unknown): T[] {
  return (Array.isArray(value) ? value : []) as T[];
}

export default {
  render({ model, el }: { model: AnyModel; el: HTMLElement }) {
    const view = new UploadView(model, el);
    return () => view.dispose();
  },
};
