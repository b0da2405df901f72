// Request/reply over anywidget custom messages: send {kind, id, ...}, await the reply
// with the same id. Events the kernel sends unasked go to `onEvent` listeners.
import type { Reply, Event } from "./wire";

export interface AnyModel {
  get(name: string): any;
  set(name: string, value: unknown): void;
  save_changes(): void;
  send(content: unknown, callbacks?: unknown, buffers?: ArrayBuffer[] | ArrayBufferView[]): void;
  on(event: string, callback: (...args: any[]) => void): void;
  off(event: string, callback?: (...args: any[]) => void): void;
}

export interface Answer<T> {
  result: T;
  buffers: DataView[];
}

export class Rpc {
  private pending = new Map<string, { resolve: (a: Answer<any>) => void; reject: (e: Error) => void }>();
  private listeners = new Set<(event: Event, buffers: DataView[]) => void>();
  private counter = 0;
  private readonly handle = (msg: Reply | Event, buffers: DataView[]) => this.receive(msg, buffers);

  constructor(private readonly model: AnyModel) {
    model.on("msg:custom", this.handle);
  }

  request<T = unknown>(kind: string, fields: Record<string, unknown> = {}, buffers: ArrayBuffer[] = []): Promise<Answer<T>> {
    const id = `${kind}-${Date.now()}-${this.counter++}`;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.model.send({ ...fields, kind, id }, undefined, buffers);
    });
  }

  onEvent(listener: (event: Event, buffers: DataView[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  dispose(): void {
    this.model.off("msg:custom", this.handle);
    for (const { reject } of this.pending.values()) reject(new Error("widget closed"));
    this.pending.clear();
    this.listeners.clear();
  }

  private receive(msg: Reply | Event, buffers: DataView[]): void {
    if (msg.kind === "reply" && typeof msg.id === "string" && this.pending.has(msg.id)) {
      const waiter = this.pending.get(msg.id)!;
      this.pending.delete(msg.id);
      const reply = msg as Reply;
      if (reply.error !== undefined) waiter.reject(new Error(reply.error));
      else waiter.resolve({ result: reply.result, buffers: buffers ?? [] });
      return;
    }
    for (const listener of this.listeners) listener(msg as Event, buffers ?? []);
  }
}
