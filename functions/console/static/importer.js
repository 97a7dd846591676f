// Import users from a CSV or JSONL file picked or dropped here: read in the browser, sent through
// bulk identify in batches (rows.js), each batch's operation polled until it ends. Progress shows
// rows sent, written and rejected and the rate; the rejects (line, id, reason) download as JSONL.
import { ApiError, call, get, path } from "./api.js";
import { FINISHED } from "./bulk.js";
import { h, notice, replace, routeLink, section } from "./dom.js";
import { number } from "./json.js";
import { InputError, batchRows, formatOf, readRows } from "./rows.js";

const POLL_MS = 500;
const RETRIES = 4;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// POST one batch; a 429 or 5xx is retried with backoff, as the CLI does.
async function send(body) {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await call("POST", path("users", "bulk", "identify"), { body });
    } catch (error) {
      const retryable = error instanceof TypeError || (error instanceof ApiError && (error.status === 429 || error.status >= 500));
      if (!retryable || attempt >= RETRIES) throw error;
      await sleep(500 * 2 ** attempt);
    }
  }
}

function rejectsLink(rejects) {
  const lines = rejects.map((reject) => JSON.stringify({ line: reject.line, id: reject.id, reason: reject.reason, errors: reject.errors }));
  const link = h("a", { download: "rejects.jsonl", "data-testid": "rejects-download" }, `Download the ${rejects.length} rejected rows (JSONL)`);
  link.href = URL.createObjectURL(new Blob([lines.join("\n") + "\n"], { type: "application/x-ndjson" }));
  return link;
}

class ImportRun {
  constructor(view) {
    this.view = view;
    this.sent = 0;
    this.total = 0;
    this.rejects = [];
    this.operations = []; // {id, lines, operation}
    this.started = performance.now();
  }

  get written() {
    return this.operations.reduce((sum, batch) => sum + number(batch.operation?.success_count), 0);
  }

  get rejected() {
    const server = this.operations.reduce((sum, batch) => sum + number(batch.operation?.error_count), 0);
    return this.rejects.filter((reject) => !reject.fromServer).length + server;
  }

  show(done = false) {
    const seconds = Math.max((performance.now() - this.started) / 1000, 0.001);
    const finished = this.written + this.rejected;
    const bar = h("progress", { max: Math.max(this.total, 1), "aria-label": "Rows imported" });
    bar.value = finished;
    replace(
      this.view,
      bar,
      h(
        "dl",
        { class: "counts" },
        h("dt", {}, "Rows"), h("dd", { "data-testid": "import-total" }, String(this.total)),
        h("dt", {}, "Sent"), h("dd", { "data-testid": "import-sent" }, String(this.sent)),
        h("dt", {}, "Written"), h("dd", { "data-testid": "import-written" }, String(this.written)),
        h("dt", {}, "Rejected"), h("dd", { "data-testid": "import-rejected" }, String(this.rejected)),
        h("dt", {}, "Rate"), h("dd", {}, `${Math.round(this.written / seconds)} rows/s`),
      ),
      h("p", { "data-testid": "import-state" }, done ? "Import finished." : "Importing…"),
      this.operations.length ? h("ul", { class: "operations" }, this.operations.map((batch) => h("li", {}, routeLink(`/bulk/${encodeURIComponent(batch.id)}`, `Operation ${batch.id}`), ` (${batch.lines.length} rows)`))) : null,
      done && this.rejects.length ? rejectsLink(this.rejects) : null,
    );
  }

  take(batch, operation) {
    batch.operation = operation;
    for (const item of operation.error_items || []) {
      const index = number(item.index);
      if (batch.reported.has(index)) continue;
      batch.reported.add(index);
      const errors = Array.isArray(item.errors) ? item.errors.map((error) => ({ field: error.field, message: error.message })) : [];
      this.rejects.push({ line: batch.lines[index] ?? null, id: item.id ?? null, reason: item.reason || "rejected by the server", errors, fromServer: true });
    }
  }

  async run(file) {
    const { batches, refused } = batchRows([...readRows(await file.text(), formatOf(file.name))]);
    this.rejects.push(...refused);
    this.total = refused.length + batches.reduce((sum, batch) => sum + batch.lines.length, 0);
    this.show();
    for (const batch of batches) {
      try {
        const operation = await send(batch.body);
        const entry = { id: operation.id, lines: batch.lines, reported: new Set(), operation: null };
        this.operations.push(entry);
        this.take(entry, operation);
      } catch (error) {
        for (const line of batch.lines) this.rejects.push({ line, id: null, reason: `the batch was refused: ${error.message}`, errors: [] });
      }
      this.sent += batch.lines.length;
      this.show();
    }
    while (this.operations.some((batch) => !FINISHED.has(batch.operation?.status))) {
      await sleep(POLL_MS);
      await Promise.all(
        this.operations
          .filter((batch) => !FINISHED.has(batch.operation?.status))
          .map(async (batch) => this.take(batch, await get(path("bulk_operations", batch.id)))),
      );
      this.show();
    }
    this.show(true);
  }
}

export function importPage() {
  const progress = h("div", { "aria-live": "polite", "data-testid": "import-progress" });
  const input = h("input", { type: "file", id: "import-file", accept: ".csv,.jsonl,.ndjson" });
  const start = (file) => {
    if (!file) return;
    input.disabled = true;
    new ImportRun(progress)
      .run(file)
      .catch((error) => progress.append(notice(error instanceof InputError ? `${file.name}: ${error.message}` : error.message, "error")))
      .finally(() => {
        input.disabled = false;
        input.value = "";
      });
  };
  input.addEventListener("change", () => start(input.files[0]));
  const drop = h(
    "div",
    { class: "dropzone", "data-testid": "dropzone" },
    h("label", { for: "import-file" }, "Pick a CSV or JSONL file of users, or drop it here"),
    input,
  );
  drop.addEventListener("dragover", (event) => {
    event.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    start(event.dataTransfer.files[0]);
  });
  const help = h(
    "p",
    {},
    "CSV: a header row with an id column; a column named like ",
    h("code", {}, "address:json"),
    " holds JSON. JSONL: one user object per line. Rows go through bulk identify in batches of at most 1,000.",
  );
  return [section("Import users", help, drop, progress)];
}
