import { describe, expect, it } from "vitest";
import { symlinkEscape } from "../../shared/policy/index.js";

const ROWS: Array<[path: string, target: string, escape: string | undefined]> = [
  ["a", "b", undefined],
  ["src/a", "b/c.ts", undefined],
  ["src/a", "../docs/guide.md", undefined],
  ["src/deep/a", "../../README.md", undefined],
  ["a", ".", undefined],
  ["a", "./b/../c", undefined],
  ["src/a", "../src/../src/b", undefined],
  ["a", ".gitignore", undefined],
  ["a", "..", "a target outside the worktree"],
  ["src/a", "../../x", "a target outside the worktree"],
  ["docs/passwd", "../../etc/passwd", "a target outside the worktree"],
  ["a", "b/../../c", "a target outside the worktree"],
  ["a", "/etc/shadow", "an absolute target"],
  ["a", "//server/share", "an absolute target"],
  ["hooks", ".git/hooks", "a target inside .git"],
  ["src/x", "../.git", "a target inside .git"],
  ["x", "vendor/.GIT/config", "a target inside .git"],
  ["x", "", "an empty or unreadable target"],
];

describe("where a symlink points", () => {
  it.each(ROWS)("%s -> %s", (path, target, escape) => {
    expect(symlinkEscape(path, target)).toBe(escape);
  });
});
