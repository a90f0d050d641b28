import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { Priority } from "../../gen/pushpals/v1/common_pb.js";
import { classifyMessage } from "../../services/chat/message-kind.js";
import { inferPriority } from "../../services/chat/priority-rules.js";

describe("classifyMessage", () => {
  it.each([
    ["/help", "help"],
    ["help", "help"],
    ["Help!", "help"],
    ["?", "help"],
    ["what can you do?", "help"],
    ["/status", "status"],
    ["/STATUS please", "status"],
    ["status", "status"],
    ["What is running?", "status"],
    ["what's going on", "status"],
    ["where is my request?", "status"],
    ["how long until my job starts?", "status"],
    ["what's the ETA", "status"],
    ["queue position?", "status"],
    ["what was the last merge?", "status"],
    // Mentions of status words inside an ask for work are requests.
    ["fix the status page so it shows the queue position of each job and its ETA in minutes, and add a test", "request"],
    ["add a /status endpoint to the server", "request"],
    ["what does greet return?", "request"],
    ["Make greet take a name", "request"],
    ["helpers in src/util.ts should be split", "request"],
  ])("%j → %s", (text, kind) => {
    expect(classifyMessage(text).kind).toBe(kind);
  });

  it("/ask carries the question, trimmed, across lines", () => {
    expect(classifyMessage("/ask  what does\nthis do?  ")).toEqual({ kind: "ask", question: "what does\nthis do?" });
  });

  it.each([
    ["/ask", /^text: \/ask needs a question/],
    ["/deploy", /^text: \/deploy is not a command/],
  ])("%j is InvalidArgument", (text, message) => {
    const error = (() => {
      try {
        classifyMessage(text);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConnectError);
    expect(error).toMatchObject({ code: Code.InvalidArgument, rawMessage: expect.stringMatching(message) });
  });
});

describe("inferPriority", () => {
  it.each([
    // Questions: someone is waiting for the answer.
    ["why does greet return hi?", Priority.INTERACTIVE],
    ["what does src/greet.ts export", Priority.INTERACTIVE],
    ["Explain the retry backoff", Priority.INTERACTIVE],
    ["can you add a test for greet?", Priority.INTERACTIVE],
    // Large refactors: a sweeping verb and a whole-codebase word.
    ["Refactor the entire codebase to use async/await", Priority.BACKGROUND],
    ["migrate all tests from jest to vitest", Priority.BACKGROUND],
    ["rewrite every module in strict TypeScript", Priority.BACKGROUND],
    ["could you restructure the whole repository?", Priority.BACKGROUND],
    // Everything else.
    ["Add a CONTRIBUTING.md", Priority.NORMAL],
    ["refactor greet() to take a name", Priority.NORMAL],
    ["fix all the typos in README.md", Priority.NORMAL],
    ["Do the release notes", Priority.NORMAL],
  ])("%j → %s", (text, priority) => {
    expect(Priority[inferPriority(text)]).toBe(Priority[priority]);
  });
});
