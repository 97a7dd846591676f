// The command-line importer's rules, in the browser: a JSONL line or a CSV record is one user; a
// CSV header names the properties (`name:json` columns hold JSON); each row must be an object with
// a string id and fit in one request. Rows go out in batches of at most 1,000 users and 5,000,000
// bytes of JSON (Lambda's 6 MB payload limit, with margin). Numbers keep their exact text (json.js).
import { parse, stringify } from "./json.js";

export const MAX_BATCH_ROWS = 1000;
export const MAX_BODY_BYTES = 5_000_000;
const PREFIX = '{"users":[';
const SUFFIX = "]}";
const MAX_ROW_BYTES = MAX_BODY_BYTES - PREFIX.length - SUFFIX.length;
const JSON_SUFFIX = ":json";
const encoder = new TextEncoder();

export class InputError extends Error {}

export function formatOf(fileName) {
  const lower = fileName.toLowerCase();
  if (lower.endsWith(".csv")) return "csv";
  if (lower.endsWith(".jsonl") || lower.endsWith(".ndjson")) return "jsonl";
  throw new InputError(`${fileName}: cannot tell the format from the name; use a .csv, .jsonl or .ndjson file`);
}

function kind(value) {
  if (Array.isArray(value)) return "a list";
  if (value === null) return "null";
  if (typeof value === "object") return typeof value.text === "string" ? "a number" : "an object";
  return typeof value === "string" ? "a string" : "a boolean";
}

// {line, id, json} to send, or {line, id, reason, errors} not to.
function userRow(line, value) {
  if (kind(value) !== "an object") return { line, id: null, reason: `expected a JSON object, got ${kind(value)}`, errors: [] };
  const id = Object.hasOwn(value, "id") ? value.id : null;
  if (id === null) return { line, id: null, reason: "id: is required", errors: [{ field: "id", message: "is required" }] };
  if (typeof id !== "string") {
    const message = `must be a string, got ${kind(id)}`;
    return { line, id: null, reason: `id: ${message}`, errors: [{ field: "id", message }] };
  }
  const json = stringify(value);
  const bytes = encoder.encode(json).length;
  if (bytes > MAX_ROW_BYTES) return { line, id, reason: `row is ${bytes} bytes as JSON, more than the ${MAX_ROW_BYTES} that fit in one request`, errors: [] };
  return { line, id, json, bytes };
}

function* jsonlRows(text) {
  const lines = text.replace(/^\uFEFF/, "").split("\n");
  for (const [index, raw] of lines.entries()) {
    const line = raw.replace(/\r$/, "");
    if (!line.trim()) continue;
    try {
      yield userRow(index + 1, parse(line));
    } catch (error) {
      yield { line: index + 1, id: null, reason: `not valid JSON: ${error.message}`, errors: [] };
    }
  }
}

// CSV records (RFC 4180: quoted fields may hold commas, quotes as "" and line breaks), each with its first line.
function* csvRecords(text) {
  let at = 0;
  let line = 1;
  while (at < text.length) {
    const start = line;
    const fields = [];
    let value = "";
    let quoted = false;
    let problem = null;
    for (;;) {
      const char = text[at];
      if (quoted) {
        if (char === undefined) {
          problem = "unexpected end of file inside a quoted field";
          break;
        }
        if (char === '"' && text[at + 1] === '"') (value += '"'), (at += 2);
        else if (char === '"') (quoted = false), (at += 1);
        else {
          if (char === "\n") line += 1;
          (value += char), (at += 1);
        }
        continue;
      }
      if (char === '"' && value === "") (quoted = true), (at += 1);
      else if (char === '"') (problem = "a quote inside an unquoted field"), (at += 1);
      else if (char === ",") fields.push(value), (value = ""), (at += 1);
      else if (char === undefined || char === "\n" || (char === "\r" && text[at + 1] === "\n")) {
        fields.push(value);
        at += char === undefined ? 0 : char === "\r" ? 2 : 1;
        line += char === undefined ? 0 : 1;
        break;
      } else (value += char), (at += 1);
    }
    if (problem && text[at - 1] !== "\n") {
      while (at < text.length && text[at] !== "\n") at += 1; // the rest of the bad record's line
      at += 1;
      line += 1;
    }
    yield { line: start, fields, problem };
  }
}

function columnsOf(header) {
  const columns = header.map((title, position) => {
    const name = title.trim();
    const isJson = name.endsWith(JSON_SUFFIX);
    const property = isJson ? name.slice(0, -JSON_SUFFIX.length) : name;
    if (!property) throw new InputError(`line 1: column ${position + 1} has no name`);
    return { property, isJson };
  });
  const names = columns.map((column) => column.property);
  const duplicates = [...new Set(names.filter((name, index) => names.indexOf(name) !== index))];
  if (duplicates.length) throw new InputError(`line 1: duplicate column ${duplicates.sort().join(", ")}`);
  if (!names.includes("id")) throw new InputError(`line 1: no id column in the header (columns: ${names.join(", ")})`);
  return columns;
}

function csvRow(line, columns, fields) {
  const user = {};
  for (const [position, { property, isJson }] of columns.entries()) {
    const cell = fields[position];
    if (cell === "") continue;
    if (!isJson) {
      Object.defineProperty(user, property, { value: cell, enumerable: true, writable: true, configurable: true });
      continue;
    }
    try {
      Object.defineProperty(user, property, { value: parse(cell), enumerable: true, writable: true, configurable: true });
    } catch (error) {
      const message = `not valid JSON: ${error.message}`;
      const idColumn = columns.findIndex((column) => column.property === "id" && !column.isJson);
      return { line, id: fields[idColumn] || null, reason: `column ${property}: ${message}`, errors: [{ field: property, message }] };
    }
  }
  return userRow(line, user);
}

function* csvRows(text) {
  const records = csvRecords(text.replace(/^\uFEFF/, ""));
  const header = records.next();
  if (header.done) throw new InputError("empty file; expected a header row with an id column");
  if (header.value.problem) throw new InputError(`line 1: cannot read the header row: ${header.value.problem}`);
  const columns = columnsOf(header.value.fields);
  for (const { line, fields, problem } of records) {
    if (problem) yield { line, id: null, reason: `not valid CSV: ${problem}`, errors: [] };
    else if (fields.every((cell) => cell === "")) continue;
    else if (fields.length !== columns.length) yield { line, id: null, reason: `expected ${columns.length} fields as in the header, got ${fields.length}`, errors: [] };
    else yield csvRow(line, columns, fields);
  }
}

export function readRows(text, format) {
  return format === "csv" ? csvRows(text) : jsonlRows(text);
}

// Batches {body, lines} of the rows to send (at most 1,000 rows and MAX_BODY_BYTES bytes), and the rows refused here.
export function batchRows(rows) {
  const batches = [];
  const refused = [];
  let parts = [];
  let lines = [];
  let size = PREFIX.length + SUFFIX.length;
  const take = () => {
    if (parts.length) batches.push({ body: PREFIX + parts.join(",") + SUFFIX, lines });
    parts = [];
    lines = [];
    size = PREFIX.length + SUFFIX.length;
  };
  for (const row of rows) {
    if (row.json === undefined) {
      refused.push(row);
      continue;
    }
    if (parts.length && size + 1 + row.bytes > MAX_BODY_BYTES) take();
    size += row.bytes + (parts.length ? 1 : 0);
    parts.push(row.json);
    lines.push(row.line);
    if (parts.length >= MAX_BATCH_ROWS) take();
  }
  take();
  return { batches, refused };
}
