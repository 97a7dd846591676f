// A bulk operation by id: its status with a live progress bar (polled until it ends) and its error
// items, each with the reason the row was not written.
import { get, path } from "./api.js";
import { button, field, h, notice, replace, section, table } from "./dom.js";
import { number, tree } from "./json.js";
import { text } from "./recipient.js";

const POLL_MS = 1000;
export const FINISHED = new Set(["completed", "failed"]);

export function operationForm(go) {
  const input = h("input", { type: "text", name: "operation", required: true, autocomplete: "off", spellcheck: "false" });
  const form = h("form", { class: "inline", "aria-label": "Open a bulk operation" }, field("Bulk operation id", input), h("button", { type: "submit" }, "Open"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (input.value.trim()) go(`/bulk/${encodeURIComponent(input.value.trim())}`);
  });
  return [section("Bulk operations", form)];
}

export function errorItemsTable(items) {
  return table(
    ["Row", "Id", "Reason", "Fields"],
    items.map((item) => [text(item.index ?? null), text(item.id ?? null), text(item.reason ?? null), tree(item.errors ?? [], 0)]),
  );
}

// The progress of `operation` as a <progress> bar and a sentence; both are refreshed in place.
function progressView(operation) {
  const total = number(operation.estimated_total_rows);
  const processed = number(operation.processed_rows);
  const bar = h("progress", { max: Math.max(total, 1), "aria-label": "Rows processed", "data-testid": "bulk-progress" });
  bar.value = processed;
  const summary = `${operation.status}: ${processed} of ${total} rows processed, ${number(operation.success_count)} written, ${number(operation.error_count)} rejected`;
  return [bar, h("p", { "data-testid": "bulk-status" }, summary)];
}

export async function operationPage(id, isCurrent) {
  const target = path("bulk_operations", id);
  const progress = h("div", { "aria-live": "polite", "aria-busy": "true" });
  const details = h("div");
  const errors = h("div");
  const render = (operation) => {
    replace(progress, progressView(operation));
    progress.setAttribute("aria-busy", FINISHED.has(operation.status) ? "false" : "true");
    replace(details, table(["Field", "Value"], ["name", "status", "inserted_at", "started_at", "completed_at", "failed_at", "updated_at"].map((name) => [h("code", {}, name), text(operation[name] ?? null)])));
    const items = operation.error_items || [];
    replace(errors, items.length ? errorItemsTable(items) : notice("No error items."));
    if (operation.error_items_next && items.length) {
      errors.append(button("Load more error items", async () => {
        const more = await get(target, { error_items_after: String(items[items.length - 1].index) });
        render({ ...operation, error_items: [...items, ...(more.error_items || [])], error_items_next: more.error_items_next });
      }));
    }
  };
  const first = await get(target);
  render(first);
  const poll = async (operation) => {
    if (FINISHED.has(operation.status) || !isCurrent()) return;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    if (!isCurrent()) return;
    try {
      const next = await get(target);
      render(next);
      poll(next);
    } catch (error) {
      progress.append(notice(error.message, "error"));
    }
  };
  poll(first);
  return [
    h("h1", { class: "title" }, "Bulk operation ", h("code", {}, id)),
    section("Progress", progress),
    section("Details", details),
    section("Error items", errors),
  ];
}
