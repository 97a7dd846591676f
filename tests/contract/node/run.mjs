// node run.mjs <scenario>: runs the default export of scenarios/<scenario>.mjs on the JSON input read from
// stdin and writes what it returns to stdout as JSON. tests/contract/node_sdk.py starts it; see there.
// stdout carries that JSON only: console.log goes to stderr, which pytest shows when a scenario fails.
// A scenario that throws (or an SDK error it does not catch) exits 1 with the stack on stderr.
import { readFileSync } from 'node:fs';

const scenario = process.argv[2] ?? '';
if (!/^[a-z0-9-]+$/.test(scenario)) {
  console.error(`usage: node run.mjs <scenario>, one of the files in scenarios/ (got ${JSON.stringify(scenario)})`);
  process.exit(2);
}
console.log = console.error;
const text = readFileSync(0, 'utf8');
const input = text.trim() ? JSON.parse(text) : null;
const { default: run } = await import(`./scenarios/${scenario}.mjs`);
const result = await run(input);
process.stdout.write(JSON.stringify(result ?? null));
