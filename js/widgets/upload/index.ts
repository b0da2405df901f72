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
  dtype?: string;
  missing?: number;
  unparseable?: number;
}

interface Problem {
  line?: number | null;
  column?: string | null;
  message?: string;
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
  private readonly input = h("input", { attrs: { type: "file", accept: ".csv,.tsv,.txt,.xlsx,.xls,.parquet,.json" } });
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
    this.banner.show("");
    try {
      const dataset = this.datasetField.value.trim();
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

  // Sends the file slice by slice, each after the previous one is acknowledged; the
  // next slice is read from disk while the current one travels. Returns the hex
  // SHA-256, or null when the user aborted.
  private async sendSlices(file: File, start: StartReply): Promise<string | null> {
    const hasher = sha256.create();
    const began = performance.now();
    const read = (offset: number) => file.slice(offset, offset + start.chunk_size).arrayBuffer();
    let offset = 0;
    let next = file.size > 0 ? read(0) : null;
    while (next !== null) {
      const data = await next;
      if (this.aborted) return null;
      const after = offset + data.byteLength;
      next = after < file.size ? read(after) : null;
      hasher.update(new Uint8Array(data));
      await this.rpc.request("chunk", { upload_id: start.upload_id, offset }, [data]);
      offset = after;
      this.showProgress(offset, file.size, began);
    }
    return bytesToHex(hasher.digest());
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
    if (status === "error") this.progressText.textContent = "Upload failed.";
    if (status === "done") {
      this.bar.value = 1;
      this.progressText.textContent = `Done: stored as dataset ${this.model.get("dataset")}.`;
    }
  }

  private renderReport(): void {
    const report = (this.model.get("report") ?? {}) as Record<string, unknown>;
    this.reportBox.replaceChildren();
    if (Object.keys(report).length === 0) return;
    const columns = (Array.isArray(report.columns) ? report.columns : []) as ColumnReport[];
    const problems = (Array.isArray(report.problems) ? report.problems : []) as Problem[];
    const summary = `${this.model.get("filename")} → ${this.model.get("dataset")}: ${report.rows} rows, ${columns.length} columns`;
    this.reportBox.append(h("div", { text: summary }), this.columnTable(columns));
    if (problems.length > 0) this.reportBox.append(this.problemList(problems));
  }

  private columnTable(columns: ColumnReport[]): HTMLTableElement {
    const head = h("tr", {}, ["column", "type", "missing", "unparseable"].map((t) => h("th", { text: t })));
    const rows = columns.map((c) =>
      h("tr", {}, [c.name, c.dtype, c.missing ?? 0, c.unparseable ?? 0].map((v) => h("td", { text: String(v ?? "") }))),
    );
    return h("table", {}, [head, ...rows]);
  }

  private problemList(problems: Problem[]): HTMLElement {
    const items = problems.slice(0, 50).map((p) => {
      const where = [p.line != null ? `line ${p.line}` : "", p.column ? `column ${p.column}` : ""].filter(Boolean).join(", ");
      return h("li", { text: where ? `${where}: ${p.message ?? ""}` : String(p.message ?? "") });
    });
    const more = problems.length > 50 ? [h("li", { className: "nbdash-muted", text: `… and ${problems.length - 50} more` })] : [];
    return h("div", { className: "problems" }, [h("div", { text: `${problems.length} problems` }), h("ul", {}, [...items, ...more])]);
  }
}

export default {
  render({ model, el }: { model: AnyModel; el: HTMLElement }) {
    const view = new UploadView(model, el);
    return () => view.dispose();
  },
};
