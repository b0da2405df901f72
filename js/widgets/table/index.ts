// Table widget: a virtual-scrolling grid. Only the visible rows (plus a margin) are in
// the DOM; rows come from the kernel in windows of `page_size` as Arrow IPC. Protocol:
// widgets/table.py.
import { tableFromIPC, DataType, type Table as ArrowTable } from "apache-arrow";
import { Rpc, type AnyModel } from "../../shared/rpc";
import { debounce, errorBanner, h, injectStyle } from "../../shared/ui";
import baseCss from "../../shared/base.css";
import css from "./table.css";

const ROW_HEIGHT = 24;
const MARGIN_ROWS = 20;

interface ColumnInfo {
  name: string;
  dtype: string;
}

interface SortKey {
  column: string;
  ascending: boolean;
}

interface RowsReply {
  start: number;
  stop: number;
  row_count: number;
}

interface ExportReply {
  filename: string;
  mime: string;
  size: number;
}

function isNumericDtype(dtype: string): boolean {
  return /^(u?int|float|Int|UInt|Float|double|decimal)/.test(dtype);
}

function formatValue(value: unknown, type: DataType | undefined): string {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number" && type && (DataType.isTimestamp(type) || DataType.isDate(type))) {
    const iso = new Date(value).toISOString();
    return iso.endsWith("T00:00:00.000Z") ? iso.slice(0, 10) : iso.replace("T", " ").replace(/\.000Z$|Z$/, "");
  }
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

class TableView {
  private readonly rpc: Rpc;
  private readonly root = h("div", { className: "nbdash-root nbdash-table" });
  private readonly count = h("span", { className: "count nbdash-muted" });
  private readonly menuButton = h("button", { className: "nbdash-button", text: "Download ▾" });
  private readonly menuItems = h("div", { className: "items" });
  // Checked: CSV cells starting with = + - @ get a leading ' so spreadsheets show
  // them as text instead of running them (formula injection).
  private readonly safeCsv = h("input", { attrs: { type: "checkbox", checked: "" } });
  private readonly scroller = h("div", { className: "scroller" });
  private readonly head = h("div", { className: "head" });
  private readonly body = h("div", { className: "body" });
  private readonly banner;
  private readonly pages = new Map<number, ArrowTable>();
  private readonly loading = new Set<number>();
  private generation = 0;
  private readonly cleanups: (() => void)[] = [];
  private readonly fetchVisible = debounce(() => this.fetchMissing(), 60);

  constructor(private readonly model: AnyModel, el: HTMLElement) {
    this.rpc = new Rpc(model);
    injectStyle(this.root, baseCss + css);
    this.menuItems.hidden = true;
    const formats = [["csv", "CSV"], ["json", "JSON"], ["excel", "Excel"], ["parquet", "Parquet"]];
    for (const [format, label] of formats) {
      const item = h("button", { text: label, attrs: { "data-format": format } });
      item.addEventListener("click", () => void this.download(format));
      this.menuItems.appendChild(item);
    }
    const safeLabel = h("label", {
      className: "option",
      title: "Prefix CSV cells that start with = + - @ with ' so spreadsheets do not run them",
    }, [this.safeCsv, h("span", { text: "Protect CSV from formulas" })]);
    this.menuItems.appendChild(safeLabel);
    const menu = h("div", { className: "menu" }, [this.menuButton, this.menuItems]);
    this.root.append(h("div", { className: "bar" }, [this.count, menu]));
    this.banner = errorBanner(model, this.root);
    this.scroller.append(this.head, this.body);
    this.root.appendChild(this.scroller);
    el.appendChild(this.root);
    this.listen();
    this.reset();
  }

  dispose(): void {
    this.fetchVisible.cancel();
    for (const cleanup of this.cleanups) cleanup();
    this.banner.dispose();
    this.rpc.dispose();
    this.root.remove();
  }

  private get pageSize(): number {
    return Math.max(1, Number(this.model.get("page_size") ?? 100));
  }

  private get columns(): ColumnInfo[] {
    return (this.model.get("columns") ?? []) as ColumnInfo[];
  }

  private get rowCount(): number {
    return Number(this.model.get("row_count") ?? 0);
  }

  private get sort(): SortKey | null {
    return (this.model.get("sort") ?? null) as SortKey | null;
  }

  private listen(): void {
    const onScroll = () => {
      this.renderRows();
      this.fetchVisible();
    };
    this.scroller.addEventListener("scroll", onScroll);
    const toggleMenu = () => (this.menuItems.hidden = !this.menuItems.hidden);
    this.menuButton.addEventListener("click", toggleMenu);
    this.cleanups.push(() => {
      this.scroller.removeEventListener("scroll", onScroll);
      this.menuButton.removeEventListener("click", toggleMenu);
    });

    const reset = () => this.reset();
    for (const name of ["change:columns", "change:row_count", "change:sort", "change:dataset"]) {
      this.model.on(name, reset);
      this.cleanups.push(() => this.model.off(name, reset));
    }
    this.cleanups.push(this.rpc.onEvent((event) => event.kind === "refresh" && this.reset()));
  }

  // Drops every fetched page (the data or its order changed) and draws again.
  private reset(): void {
    this.generation += 1;
    this.pages.clear();
    this.loading.clear();
    this.renderHead();
    this.count.textContent = `${this.rowCount.toLocaleString()} rows × ${this.columns.length} columns`;
    this.body.style.height = `${this.rowCount * ROW_HEIGHT}px`;
    this.body.style.width = `${64 + 140 * this.columns.length}px`;
    this.renderRows();
    this.fetchMissing();
  }

  private visibleRange(): [number, number] {
    const headHeight = this.head.offsetHeight;
    const top = Math.max(0, this.scroller.scrollTop - headHeight);
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - MARGIN_ROWS);
    const shown = Math.ceil(this.scroller.clientHeight / ROW_HEIGHT) + 2 * MARGIN_ROWS;
    return [first, Math.min(this.rowCount, first + shown)];
  }

  private renderHead(): void {
    const sort = this.sort;
    const cells = this.columns.map((column) => {
      const arrow = sort?.column === column.name ? (sort.ascending ? " ▲" : " ▼") : "";
      const cell = h("div", { className: "cell", title: `${column.name} (${column.dtype}); click to sort` }, [
        h("span", { text: column.name + arrow }),
        h("span", { className: "dtype nbdash-muted", text: column.dtype }),
      ]);
      if (isNumericDtype(column.dtype)) cell.classList.add("num");
      cell.addEventListener("click", () => this.cycleSort(column.name));
      return cell;
    });
    this.head.replaceChildren(h("div", { className: "cell index", text: "#" }), ...cells);
  }

  // Click cycles ascending -> descending -> the dataset's own order.
  private cycleSort(column: string): void {
    const sort = this.sort;
    let next: SortKey | null = { column, ascending: true };
    if (sort?.column === column) next = sort.ascending ? { column, ascending: false } : null;
    this.model.set("sort", next);
    this.model.save_changes();
  }

  private renderRows(): void {
    const [first, last] = this.visibleRange();
    const rows: HTMLElement[] = [];
    const numeric = this.columns.map((c) => isNumericDtype(c.dtype));
    for (let index = first; index < last; index++) {
      const row = h("div", { className: "row" }, [h("div", { className: "cell index", text: String(index + 1) })]);
      row.style.top = `${index * ROW_HEIGHT}px`;
      this.fillRow(row, index, numeric);
      rows.push(row);
    }
    this.body.replaceChildren(...rows);
  }

  private fillRow(row: HTMLElement, index: number, numeric: boolean[]): void {
    const page = this.pages.get(Math.floor(index / this.pageSize));
    const offset = index % this.pageSize;
    this.columns.forEach((column, i) => {
      const cell = h("div", { className: numeric[i] ? "cell num" : "cell" });
      if (page !== undefined) {
        const vector = page.getChildAt(i);
        const value = vector?.get(offset);
        if (value === null || value === undefined) {
          cell.classList.add("missing");
          cell.title = "missing";
        } else {
          cell.textContent = formatValue(value, vector?.type);
          cell.title = cell.textContent;
        }
      }
      row.appendChild(cell);
    });
  }

  private fetchMissing(): void {
    const [first, last] = this.visibleRange();
    if (last <= first) return;
    const size = this.pageSize;
    for (let page = Math.floor(first / size); page <= Math.floor((last - 1) / size); page++) {
      if (!this.pages.has(page) && !this.loading.has(page)) void this.fetchPage(page);
    }
  }

  private async fetchPage(page: number): Promise<void> {
    const generation = this.generation;
    const start = page * this.pageSize;
    this.loading.add(page);
    try {
      const { buffers } = await this.rpc.request<RowsReply>("rows", { start, stop: start + this.pageSize, sort: this.sort });
      if (generation !== this.generation) return;
      const view = buffers[0];
      this.pages.set(page, tableFromIPC(new Uint8Array(view.buffer, view.byteOffset, view.byteLength)));
      this.renderRows();
    } catch (error) {
      if (generation === this.generation) this.banner.show(error instanceof Error ? error.message : String(error));
    } finally {
      if (generation === this.generation) this.loading.delete(page);
    }
  }

  private async download(format: string): Promise<void> {
    this.menuItems.hidden = true;
    try {
      const safe = this.safeCsv.checked;
      const { result, buffers } = await this.rpc.request<ExportReply>("export", { format, safe });
      const view = buffers[0];
      const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
      const url = URL.createObjectURL(new Blob([bytes], { type: result.mime }));
      const link = h("a", { attrs: { href: url, download: result.filename } });
      this.root.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      this.banner.show(error instanceof Error ? error.message : String(error));
    }
  }
}

export default {
  render({ model, el }: { model: AnyModel; el: HTMLElement }) {
    const view = new TableView(model, el);
    return () => view.dispose();
  },
};
