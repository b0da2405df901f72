// The message envelope shared by every nbdash widget (mirrors widgets/_base.py).
export interface Request {
  kind: string;
  id: string;
  [field: string]: unknown;
}

export interface Reply<T = unknown> {
  kind: "reply";
  id: string;
  result?: T;
  error?: string;
}

export interface Event {
  kind: string;
  [field: string]: unknown;
}
