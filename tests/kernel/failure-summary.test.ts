import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { failureSummary, summaryLines } from "../../shared/text/failure-summary.js";

const sample = (name: string) => readFileSync(new URL(`../fixtures/test-runner-output/${name}`, import.meta.url), "utf8");

describe("the summary lines of a failed run", () => {
  it("mocha: the counts and each distinct error, not the stack frames", () => {
    expect(summaryLines(sample("mocha.txt"))).toEqual([
      "4 passing (85ms)",
      "2 failing",
      'Error: expected 200 "OK", got 404 "Not Found"',
      "AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:",
    ]);
  });

  it("jest: the failing file and test, the matcher with expected and received, the totals", () => {
    expect(summaryLines(sample("jest.txt"))).toEqual([
      "FAIL src/sum.test.js",
      "● sum › adds 1 + 2 to equal 3",
      "expect(received).toBe(expected) // Object.is equality",
      "Expected: 3",
      "Received: 4",
      "Test Suites: 1 failed, 1 passed, 2 total",
      "Tests:       1 failed, 5 passed, 6 total",
    ]);
  });

  it("vitest: the failing file and test, the assertion, the totals; no passing file", () => {
    expect(summaryLines(sample("vitest.txt"))).toEqual([
      "❯ tests/sum.test.ts (3 tests | 1 failed) 6ms",
      "× sum > adds 1 + 2 5ms",
      "→ expected 4 to be 3 // Object.is equality",
      "FAIL  tests/sum.test.ts > sum > adds 1 + 2",
      "AssertionError: expected 4 to be 3 // Object.is equality",
      "Test Files  1 failed | 1 passed (2)",
      "Tests  1 failed | 4 passed (5)",
    ]);
  });

  it("pytest: the assertion, the short summary and the closing count without its rulers", () => {
    expect(summaryLines(sample("pytest.txt"))).toEqual([
      "E       assert 404 == 200",
      "tests/test_app.py:7: AssertionError",
      "FAILED tests/test_app.py::test_index - assert 404 == 200",
      "1 failed, 2 passed in 0.12s",
    ]);
  });

  it("go test: the test's message, its --- FAIL and the package's FAIL, each once; no passing package", () => {
    expect(summaryLines(sample("go-test.txt"))).toEqual([
      "server_test.go:21: GET /index.html: got status 404, want 200",
      "--- FAIL: TestServe (0.00s)",
      "FAIL",
      "FAIL\texample.com/site/server\t0.004s",
    ]);
  });

  it("TAP (tape): not ok, the expected and actual values, the error and the counts", () => {
    expect(summaryLines(sample("tap.txt"))).toEqual([
      "not ok 2 should be strictly equal",
      "expected: 200",
      "actual:   404",
      "Error: should be strictly equal",
      "# tests 2",
      "# pass  1",
      "# fail  1",
    ]);
  });

  it("node:test, spec and TAP reporters: the failed test, its assertion and the counts", () => {
    expect(summaryLines(sample("node-test.txt"))).toEqual([
      "✖ serves index (1.204ms)",
      "AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:",
      "actual: 404,",
      "expected: 200,",
      "ℹ tests 2",
      "ℹ pass 1",
      "ℹ fail 1",
    ]);
    expect(summaryLines(sample("node-test-tap.txt"))).toEqual([
      "not ok 2 - serves index",
      "Expected values to be strictly equal:",
      "name: 'AssertionError'",
      "expected: 200",
      "actual: 404",
      "# tests 2",
      "# pass 1",
      "# fail 1",
    ]);
  });

  it("compilers and shells: error lines of tsc, rustc and a plain script", () => {
    const output = [
      "src/app.ts(3,5): error TS2322: Type 'string' is not assignable to type 'number'.",
      "error[E0308]: mismatched types",
      "error: the build is broken",
      "Found 2 errors in 1 file.",
      "make: *** [Makefile:3: build] Error 2",
    ].join("\n");
    expect(summaryLines(output)).toEqual([
      "src/app.ts(3,5): error TS2322: Type 'string' is not assignable to type 'number'.",
      "error[E0308]: mismatched types",
      "error: the build is broken",
      "Found 2 errors in 1 file.",
    ]);
  });

  it("finds nothing in output that names no failure", () => {
    expect(summaryLines("compiling 12 files\nwrote dist/index.js\n✓ a.test.ts (3 tests) 2ms\nok  \texample.com/x\t0.1s\n")).toEqual([]);
  });
});

describe("the summary as output streams in", () => {
  it("joins lines cut between chunks, keeps stdout and stderr apart, and drops colours and redraws", () => {
    const summary = failureSummary();
    summary.push("  12 pass", "stdout");
    summary.push("Error: conn", "stderr");
    summary.push("ing (3s)\n  \x1b[31m2 failing\x1b[0m\n", "stdout");
    summary.push("ection refused\n", "stderr");
    summary.push("progress 10%\rprogress 90%\r  1 failed\r\n");
    expect(summary.lines()).toEqual(["12 passing (3s)", "2 failing", "Error: connection refused", "1 failed"]);
  });

  it("counts an unfinished last line, and reading does not change what comes after", () => {
    const summary = failureSummary();
    summary.push("55 fail");
    expect(summary.lines()).toEqual([]);
    summary.push("ing");
    expect(summary.lines()).toEqual(["55 failing"]);
    summary.push("\nAssertionError: x\n");
    expect(summary.lines()).toEqual(["55 failing", "AssertionError: x"]);
  });

  it("stays bounded on endless failures: the first failures and the last counts, in order, each once", () => {
    const summary = failureSummary({ maxLines: 9, maxChars: 4096 });
    for (let i = 1; i <= 5000; i += 1) {
      summary.push(`  ${i}) suite\n     Error: expected ${i % 7} to equal 0\n      at Context.<anonymous> (test/t.js:${i}:1)\n`);
      if (i % 1000 === 0) summary.push(`  ${i} failing\n`);
    }
    expect(summary.lines()).toEqual([
      "Error: expected 1 to equal 0",
      "Error: expected 2 to equal 0",
      "Error: expected 3 to equal 0",
      "Error: expected 4 to equal 0",
      "Error: expected 5 to equal 0",
      "Error: expected 6 to equal 0",
      "3000 failing",
      "4000 failing",
      "5000 failing",
    ]);
  });

  it("keeps within its characters, cutting a very long line", () => {
    const long = `Error: ${"x".repeat(10_000)}`;
    const lines = summaryLines(`${long}\n${Array.from({ length: 100 }, (_, i) => `FAIL test ${i} ${"y".repeat(100)}`).join("\n")}\n9 failed\n`, { maxLines: 30, maxChars: 1000 });
    expect(lines.join("\n").length).toBeLessThanOrEqual(1000);
    expect(lines[0]).toMatch(/^Error: x+…$/);
    expect(lines[0]!.length).toBe(240);
    expect(lines.at(-1)).toBe("9 failed");
  });
});
