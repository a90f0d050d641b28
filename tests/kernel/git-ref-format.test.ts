import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { refNameProblem } from "../../shared/git-ref-format.js";

const NAMES = [
  "main",
  "main_agents",
  "agent/worker-1/job_01JD0000000000000000000000",
  "feature/a.b",
  "v1.2.3",
  "x@y",
  "日本",
  "",
  "-x",
  "--upload-pack=touch /tmp/x",
  "@",
  "a..b",
  "a b",
  "a\tb",
  "a~1",
  "a^",
  "a:b",
  "a?",
  "a*",
  "a[",
  "a\\b",
  "x@{1}",
  "/a",
  "a/",
  "a//b",
  "a.",
  ".a",
  "a/.b",
  "a.lock",
  "a/b.lock/c",
  "a\u007f",
];

describe("refNameProblem, git check-ref-format's rules without a git process", () => {
  it.each(NAMES)("agrees with git check-ref-format for %j (and refuses a leading '-' and '@')", (name) => {
    let gitAccepts: boolean;
    try {
      execFileSync("git", ["check-ref-format", `refs/heads/${name}`], { stdio: "ignore" });
      gitAccepts = name !== "";
    } catch {
      gitAccepts = false;
    }
    const ours = refNameProblem(name) === undefined;
    // Also refused on purpose: "@", which git reads as HEAD wherever a revision is taken.
    expect(ours).toBe(gitAccepts && !name.startsWith("-") && name !== "@");
  });
});
