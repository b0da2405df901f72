// Small DOM helpers shared by the widgets. User text always goes in as textContent,
// never as HTML, so a cell value or a file name cannot inject markup.
import type { AnyModel } from "./rpc";

export interface ElementOptions {
  className?: string;
  text?: string;
  title?: string;
  attrs?: Record<string, string>;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  options: ElementOptions = {},
  children: Node[] = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.text !== undefined) node.textContent = options.text;
  if (options.title !== undefined) node.title = options.title;
  for (const [name, value] of Object.entries(options.attrs ?? {})) node.setAttribute(name, value);
  for (const child of children) node.appendChild(child);
  return node;
}

export function injectStyle(root: HTMLElement, css: string): void {
  root.appendChild(h("style", { text: css }));
}

// A red banner that follows the model's `error` trait; returns its cleanup.
export function errorBanner(model: AnyModel, parent: HTMLElement): { show(message: string): void; dispose(): void } {
  const banner = h("div", { className: "nbdash-error", attrs: { role: "alert" } });
  parent.appendChild(banner);
  const show = (message: string) => {
    banner.textContent = message;
    banner.hidden = message === "";
  };
  const onError = () => show(String(model.get("error") ?? ""));
  model.on("change:error", onError);
  onError();
  return { show, dispose: () => model.off("change:error", onError) };
}

export function formatBytes(bytes: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

// Lets an event handler ignore calls until `wait` ms pass without another one.
export function debounce<A extends unknown[]>(fn: (...args: A) => void, wait: number): ((...args: A) => void) & { cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = (...args: A) => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      fn(...args);
    }, wait);
  };
  return Object.assign(run, { cancel: () => timer !== undefined && clearTimeout(timer) });
}
