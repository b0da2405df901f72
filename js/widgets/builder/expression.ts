// The expression editor of a derive step. What the user types is checked by the
// kernel (`check_expression`: parsed and type-checked against the columns at the
// step) and only a valid expression goes into the pipeline; until then the text is a
// draft, and the error is shown with its position marked.
import { el } from "./dom";
import { debounce } from "./dom";

export interface ExpressionCheck {
  ok: boolean;
  type?: string;
  message?: string;
  offset?: number | null;
  expression?: string;
}

export interface ExpressionContext {
  path: string;
  stepIndex: number;
  drafts: Map<string, { text: string; check?: ExpressionCheck }>;
  checkExpression: (text: string, index: number) => Promise<ExpressionCheck>;
  runError?: ExpressionCheck; // the step's error from the last run, if any
  commit: (immediate: boolean) => void;
  redraw: () => void; // draw the cards again (this editor may have been replaced)
}

const CHECK_DELAY_MS = 300;

export function expressionEditor(owner: Record<string, unknown>, ctx: ExpressionContext): HTMLElement {
  const box = el("div", "nbd-expression");
  const path = `${ctx.path}.expression`;
  // A valid draft that the pipeline no longer holds (undo, a kernel update) is stale.
  const current = String(owner.expression ?? "");
  const found = ctx.drafts.get(path);
  const draft = found && !(found.check?.ok && found.text !== current) ? found : undefined;
  const area = el("textarea", "nbd-input nbd-textarea");
  area.dataset.path = path;
  area.rows = 2;
  area.spellcheck = false;
  area.value = draft?.text ?? current;
  area.placeholder = "e.g. [qty] * [price]";
  // A new step starts from one column reference: the first click selects it, so
  // typing replaces it rather than adding to it.
  if (draft === undefined && /^(\[[^\]]*\]|1)$/.test(current)) {
    area.addEventListener("focus", () => area.select(), { once: true });
    area.addEventListener("mouseup", (event) => event.preventDefault(), { once: true });
  }
  const status = el("div", "nbd-expr-status");
  box.append(area, status);
  showCheck(status, draft?.check ?? ctx.runError);

  const check = debounce(async () => {
    const text = area.value;
    let result: ExpressionCheck;
    try {
      result = await ctx.checkExpression(text, ctx.stepIndex);
    } catch (error) {
      result = { ok: false, message: (error as Error).message };
    }
    if (area.value !== text) return; // the user typed on; a newer check follows
    ctx.drafts.set(path, { text, check: result });
    if (result.ok) {
      owner.expression = text;
      ctx.commit(true);
      return; // the cards are drawn again, this editor with them
    }
    // An update from the kernel may have redrawn the card while the check ran; the
    // new editor reads the result from the draft.
    if (status.isConnected) showCheck(status, result);
    else if (!result.ok) ctx.redraw();
  }, CHECK_DELAY_MS);
  area.addEventListener("input", () => {
    ctx.drafts.set(path, { text: area.value });
    status.replaceChildren(el("span", "nbd-label", "checking…"));
    check();
  });
  return box;
}

function showCheck(status: HTMLElement, check: ExpressionCheck | undefined): void {
  status.replaceChildren();
  if (!check) return;
  if (check.ok) {
    status.append(el("span", "nbd-ok", `✓ gives ${check.type ?? "a value"}`));
    return;
  }
  status.append(el("div", "nbd-step-error", check.message ?? "Invalid expression."));
  const text = check.expression ?? "";
  const at = check.offset;
  if (text && typeof at === "number" && at >= 0 && at <= text.length) {
    // The expression with the character at the error's position marked.
    const marked = el("pre", "nbd-expr-mark");
    marked.append(
      document.createTextNode(text.slice(0, at)),
      el("mark", "nbd-expr-at", text.slice(at, at + 1) || " "),
      document.createTextNode(text.slice(at + 1)),
    );
    status.append(marked);
  }
}
