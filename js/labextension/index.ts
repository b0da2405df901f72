// nbdash's JupyterLab extension: lets a kernel read and write the metadata["nbdash"]
// of the notebook it runs, over the comm target "nbdash.notebook". The kernel never
// writes an open notebook's file; the model changes here and the user's save keeps it.
// The notebook tracker is optional so that the extension also loads in Voila, where
// there is no tracker and the comm target is simply not registered.
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from "@jupyterlab/application";
import { INotebookTracker, NotebookActions, type NotebookPanel } from "@jupyterlab/notebook";
import type { Kernel, KernelMessage } from "@jupyterlab/services";
import type { JSONObject, JSONValue } from "@lumino/coreutils";

const COMM_TARGET = "nbdash.notebook";
const METADATA_KEY = "nbdash";
// Generated pipeline code is a few KB; anything far larger is not ours.
const MAX_CELL_SOURCE = 1_000_000;

type Request =
  | { kind: "get"; id: string }
  | { kind: "set"; id: string; value: JSONObject }
  | { kind: "insert_cell"; id: string; source: string };

type Reply = { kind: "reply"; id: string; result?: JSONValue; error?: string };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// Every message from a kernel is checked before it touches the notebook.
function parseRequest(data: unknown): Request | string {
  if (!isPlainObject(data)) return "expected an object message";
  const { kind, id } = data;
  if (typeof id !== "string" || id.length === 0 || id.length > 64) return "expected a string 'id'";
  if (kind === "get") return { kind, id };
  if (kind === "set") {
    if (!isPlainObject(data.value)) return "a 'set' message needs an object 'value'";
    return { kind, id, value: data.value as JSONObject };
  }
  if (kind === "insert_cell") {
    const source = data.source;
    if (typeof source !== "string") return "an 'insert_cell' message needs a string 'source'";
    if (source.length > MAX_CELL_SOURCE) return `'source' is longer than ${MAX_CELL_SOURCE} characters`;
    return { kind, id, source };
  }
  return `unknown kind ${JSON.stringify(kind)}; expected "get", "set" or "insert_cell"`;
}

function answer(panel: NotebookPanel, data: unknown): Reply {
  const request = parseRequest(data);
  const id = isPlainObject(data) && typeof data.id === "string" ? data.id : "";
  if (typeof request === "string") return { kind: "reply", id, error: request };

  const model = panel.content.model;
  if (!model) return { kind: "reply", id, error: "the notebook has no model yet" };
  if (request.kind === "get") {
    return { kind: "reply", id, result: (model.getMetadata(METADATA_KEY) as JSONValue | undefined) ?? null };
  }
  if (request.kind === "insert_cell") return insertCell(panel, id, request.source);
  model.setMetadata(METADATA_KEY, request.value);
  return { kind: "reply", id, result: true };
}

// A new code cell below the active one, holding `source` as text (never run here).
function insertCell(panel: NotebookPanel, id: string, source: string): Reply {
  const notebook = panel.content;
  NotebookActions.insertBelow(notebook);
  NotebookActions.changeCellType(notebook, "code");
  const cell = notebook.activeCell;
  if (!cell || cell.model.type !== "code") {
    return { kind: "reply", id, error: "could not insert a code cell" };
  }
  cell.model.sharedModel.setSource(source);
  return { kind: "reply", id, result: true };
}

function registerTarget(panel: NotebookPanel, kernel: Kernel.IKernelConnection | null | undefined): void {
  if (!kernel) return;
  kernel.registerCommTarget(COMM_TARGET, (comm: Kernel.IComm, _open: KernelMessage.ICommOpenMsg) => {
    comm.onMsg = (msg: KernelMessage.ICommMsgMsg) => {
      if (comm.isDisposed) return;
      comm.send(answer(panel, msg.content.data) as JSONObject);
    };
  });
}

function track(panel: NotebookPanel): void {
  const context = panel.sessionContext;
  registerTarget(panel, context.session?.kernel);
  context.kernelChanged.connect((_sender, change) => registerTarget(panel, change.newValue));
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: "nbdash:notebook-metadata",
  description: "Lets nbdash dashboards save their spec in the notebook's metadata.",
  autoStart: true,
  optional: [INotebookTracker],
  activate: (_app: JupyterFrontEnd, tracker: INotebookTracker | null) => {
    if (!tracker) return;
    tracker.forEach(track);
    tracker.widgetAdded.connect((_sender, panel) => track(panel));
  },
};

export default plugin;
