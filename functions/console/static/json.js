// JSON without losing numbers: the API stores floats, integers beyond 2^53 and their exact text,
// which JSON.parse would round. `parse` gives plain objects, arrays, strings, booleans and null,
// and a JsonNumber (its text as received) for every number. `tree` renders a value as a
// collapsible tree (<details>), every string and key as text.
import { h } from "./dom.js";

export class JsonNumber {
  constructor(text) {
    this.text = text;
  }
  valueOf() {
    return Number(this.text);
  }
  toString() {
    return this.text;
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const SPACE = /[ \t\n\r]*/y;

export function parse(text) {
  let at = 0;
  const fail = (what) => {
    throw new SyntaxError(`${what} at character ${at + 1}`);
  };
  const skip = () => {
    SPACE.lastIndex = at;
    SPACE.exec(text);
    at = SPACE.lastIndex;
  };
  const match = (pattern) => {
    pattern.lastIndex = at;
    const found = pattern.exec(text);
    if (!found) return null;
    at = pattern.lastIndex;
    return found[0];
  };
  const value = (depth) => {
    if (depth > 10_000) fail("nested too deeply");
    skip();
    const char = text[at];
    if (char === "{") {
      at += 1;
      const object = {};
      skip();
      if (text[at] === "}") {
        at += 1;
        return object;
      }
      for (;;) {
        skip();
        const key = match(STRING);
        if (key === null) fail("expected a key");
        skip();
        if (text[at] !== ":") fail("expected ':'");
        at += 1;
        Object.defineProperty(object, JSON.parse(key), {
          value: value(depth + 1), enumerable: true, writable: true, configurable: true,
        }); // defineProperty: a key named __proto__ stays an own key
        skip();
        if (text[at] === ",") at += 1;
        else if (text[at] === "}") return (at += 1), object;
        else fail("expected ',' or '}'");
      }
    }
    if (char === "[") {
      at += 1;
      const array = [];
      skip();
      if (text[at] === "]") return (at += 1), array;
      for (;;) {
        array.push(value(depth + 1));
        skip();
        if (text[at] === ",") at += 1;
        else if (text[at] === "]") return (at += 1), array;
        else fail("expected ',' or ']'");
      }
    }
    if (char === '"') return JSON.parse(match(STRING) ?? fail("bad string"));
    for (const [word, result] of [["true", true], ["false", false], ["null", null]]) {
      if (text.startsWith(word, at)) return (at += word.length), result;
    }
    const number = match(NUMBER);
    if (number === null) fail("unexpected character");
    return new JsonNumber(number);
  };
  const result = value(0);
  skip();
  if (at !== text.length) fail("unexpected text after the value");
  return result;
}

// JSON text of a parsed value, numbers exactly as they came.
export function stringify(value) {
  if (value instanceof JsonNumber) return value.text;
  if (Array.isArray(value)) return `[${value.map(stringify).join(",")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.entries(value).map(([key, item]) => `${JSON.stringify(key)}:${stringify(item)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

function scalar(value) {
  if (value === null) return h("span", { class: "json-null" }, "null");
  if (value instanceof JsonNumber) return h("span", { class: "json-number" }, value.text);
  if (typeof value === "boolean") return h("span", { class: "json-boolean" }, String(value));
  return h("span", { class: "json-string" }, JSON.stringify(value));
}

function isContainer(value) {
  return value !== null && typeof value === "object" && !(value instanceof JsonNumber);
}

// A value as a tree: objects and arrays are <details> (open to `openDepth`), scalars are text.
export function tree(value, openDepth = 2, depth = 0) {
  if (!isContainer(value)) return scalar(value);
  const entries = Array.isArray(value) ? value.map((item, index) => [index, item]) : Object.entries(value);
  const label = Array.isArray(value) ? `[${entries.length} item${entries.length === 1 ? "" : "s"}]` : `{${entries.length} key${entries.length === 1 ? "" : "s"}}`;
  if (entries.length === 0) return h("span", { class: "json-empty" }, Array.isArray(value) ? "[]" : "{}");
  return h(
    "details",
    { class: "json", open: depth < openDepth },
    h("summary", {}, label),
    h(
      "ul",
      {},
      entries.map(([key, item]) =>
        h("li", {}, h("span", { class: "json-key" }, Array.isArray(value) ? `${key}` : JSON.stringify(key)), ": ", tree(item, openDepth, depth + 1)),
      ),
    ),
  );
}

export function number(value) {
  return value instanceof JsonNumber ? Number(value.text) : Number(value ?? 0);
}
