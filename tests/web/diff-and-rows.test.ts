import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ApprovalKind, ApprovalStatus } from "../../gen/pushpals/v1/approvals_pb.js";
import { EventSchema, type Event } from "../../gen/pushpals/v1/events_pb.js";
import { chatRows } from "../../web/src/state/chat-rows.js";
import { parseUnifiedDiff, splitRows } from "../../web/src/state/diff.js";
import { tokenize } from "../../web/src/state/highlight.js";

const DIFF = `diff --git a/src/math.js b/src/math.js
index 1111111..2222222 100644
--- a/src/math.js
+++ b/src/math.js
@@ -1,4 +1,5 @@
 /** Adds two numbers. */
 export function add(a, b) {
-  return a - b;
+  // fixed
+  return a + b;
 }
diff --git a/new.txt b/new.txt
new file mode 100644
--- /dev/null
+++ b/new.txt
@@ -0,0 +1 @@
+hello
\\ No newline at end of file
`;

describe("the diff view's parser", () => {
  it("reads files, hunks and line numbers of both sides", () => {
    const [math, created] = parseUnifiedDiff(DIFF);
    expect(math).toMatchObject({ oldPath: "src/math.js", newPath: "src/math.js", added: 2, removed: 1 });
    expect(math!.hunks[0]!.lines.map((l) => [l.type, l.oldNo, l.newNo])).toEqual([
      ["context", 1, 1],
      ["context", 2, 2],
      ["del", 3, undefined],
      ["add", undefined, 3],
      ["add", undefined, 4],
      ["context", 4, 5],
    ]);
    expect(created).toMatchObject({ newPath: "new.txt", added: 1, removed: 0 });
    expect(created!.hunks[0]!.lines).toHaveLength(1);
  });

  it("side by side, a removal faces the addition that replaces it and the extra addition faces nothing", () => {
    const rows = splitRows(parseUnifiedDiff(DIFF)[0]!.hunks[0]!);
    expect(rows.map((r) => [r.left?.text ?? null, r.right?.text ?? null])).toEqual([
      ["/** Adds two numbers. */", "/** Adds two numbers. */"],
      ["export function add(a, b) {", "export function add(a, b) {"],
      ["  return a - b;", "  // fixed"],
      [null, "  return a + b;"],
      ["}", "}"],
    ]);
  });

  it("highlights keywords, strings, numbers and comments and keeps every character", () => {
    const line = `  return fn("a b", 42); // done`;
    const tokens = tokenize(line);
    expect(tokens.map((t) => t.text).join("")).toBe(line);
    expect(tokens.filter((t) => t.kind !== "plain").map((t) => [t.kind, t.text])).toEqual([
      ["keyword", "return"],
      ["keyword", "fn"],
      ["string", '"a b"'],
      ["number", "42"],
      ["comment", "// done"],
    ]);
  });
});

describe("the chat's rows", () => {
  const event = (seq: number, payload: MessageInitShape<typeof EventSchema>["payload"], itemId = ""): Event =>
    create(EventSchema, { sessionId: "s", seq: BigInt(seq), itemId, payload });

  it("shows messages, the approval with its answer, queue steps; keeps logs and token counts for the job view", () => {
    const approval = { id: "apr_1", kind: ApprovalKind.PLAN, subject: "run it?", rule: "approvals.plan.high", status: ApprovalStatus.PENDING };
    const rows = chatRows([
      event(1, { case: "message", value: { text: "fix it", author: "ada" } }),
      event(2, { case: "approvalRequested", value: { approval } }),
      event(3, { case: "approvalAnswered", value: { approvalId: "apr_1", status: ApprovalStatus.APPROVED, answeredBy: "bob" } }),
      event(4, { case: "jobLog", value: { line: 1n, text: "noise" } }, "job_1"),
      event(5, { case: "tokenUsage", value: { model: "m", promptTokens: 3n } }, "job_1"),
      event(6, { case: "jobFailed", value: { error: "boom", attempt: 1 } }, "job_1"),
    ]);
    expect(rows.map((r) => r.kind)).toEqual(["user", "approval", "item"]);
    expect(rows[1]).toMatchObject({ kind: "approval", answer: { status: ApprovalStatus.APPROVED, by: "bob" } });
    expect(rows[2]).toMatchObject({ kind: "item", text: "job job_1 failed: boom", tone: "bad" });
  });
});
