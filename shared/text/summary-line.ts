/**
 * Which lines of a test runner's (or compiler's) output say why it failed: the counts a run ends
 * with ("55 failing", "Tests: 1 failed, 5 passed") and the lines that name a failure ("FAIL ...",
 * "--- FAIL:", "not ok 2", "AssertionError: ...", "expected 4 to be 3"). Written against real
 * output of mocha, jest, vitest, pytest, go test, TAP producers, node:test, tsc and cargo.
 */
export type SummaryKind = "tally" | "detail";

/** Counts: they come last and say how bad it is. A version is no count ("> app@2.1.0 test"). */
const TALLIES = [
  /(?<![\w.])\d[\d,]*\s+(failing|failed|passed|passing|errors?|pending|skipped|tests?)\b/i,
  // TAP and node:test: "# fail 1", "ℹ pass 4".
  /^[#ℹ]\s*(tests|pass|fail|passed|failed)\s+\d+/i,
  /^(Tests|Test Suites|Test Files):?\s/,
];

/** Lines naming a failure, its test or its assertion. */
const DETAILS = [
  /^(FAIL|FAILED|ERROR)\b/,
  /^--- FAIL:/,
  /^not ok\b/,
  /^[×✗✕✖]\s/,
  /^●\s/,
  // "Error: ...", "TypeError: ...", "AssertionError [ERR_ASSERTION]: ..."
  /\b\w*Error\b(\s*\[\w+\])?:/,
  /\bAssertionError\b/,
  /\bexpected\b.*\b(to|but)\b/i,
  /^(expected|actual|received):\s/i,
  /\bexpect\(received\)/,
  // pytest's "E   assert 404 == 200"; go test's "server_test.go:21: got 404, want 200".
  /^E\s+(assert\b|\w*(Error|Exception)\b)/,
  /^\S+_test\.go:\d+:/,
  // Compilers: "error: ...", "error[E0308]: ...", "error TS2322: ..." (not a YAML "error: |-").
  /\berror(\[\w+\])?:\s*(?![|>][+-]?\s*$)\S/i,
  /\berror TS\d+:/,
  /^panic:|\bpanicked at\b/,
];

/** A passing test is never the cause, even when its line counts something ("✓ a.test.ts (3 tests)"). */
const PASSING = /^(✓|✔|√|ok\b|PASS\b|--- PASS:)/;

/** Escape sequences (colours, cursor moves) that terminals hide and a summary must not carry. */
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]/g;
/** Rulers around a line ("===== 1 failed in 0.1s =====", "⎯⎯⎯ Failed Tests 1 ⎯⎯⎯"). */
const RULER = /^[=_⎯─━~*-]{4,}\s*|\s*[=_⎯─━~*-]{4,}$/g;

/** The line as a person reads it: no colours, no redrawn part, no rulers, no indentation. */
export function cleanLine(raw: string): string {
  const line = raw.replace(/\r+$/, "");
  const lastRedraw = line.lastIndexOf("\r");
  return (lastRedraw === -1 ? line : line.slice(lastRedraw + 1)).replace(ANSI, "").trim().replace(RULER, "").trim();
}

/** Whether a cleaned line belongs in the summary, and as which kind. */
export function summaryKind(line: string): SummaryKind | undefined {
  if (line === "" || PASSING.test(line)) return undefined;
  if (TALLIES.some((pattern) => pattern.test(line))) return "tally";
  if (DETAILS.some((pattern) => pattern.test(line))) return "detail";
  return undefined;
}
