import { describe, expect, it } from "vitest";
import { defaultChangePolicy, evaluatePolicy, type ChangeEntry, type ChangePolicy, type PolicyRule } from "../../shared/policy/index.js";

const MiB = 1024 * 1024;
const file = (path: string, size = 10): ChangeEntry => ({ path, kind: "regular", size });
const link = (path: string, linkTarget: string): ChangeEntry => ({ path, kind: "symlink", size: Buffer.byteLength(linkTarget), linkTarget });
const deleted = (path: string): ChangeEntry => ({ path, kind: "deleted", size: 0 });
const gitlink = (path: string): ChangeEntry => ({ path, kind: "gitlink", size: 0 });

interface Row {
  name: string;
  entries: ChangeEntry[];
  policy?: Partial<ChangePolicy>;
  /** The rules broken, each with the paths it names; [] = allowed. */
  broken: Array<[PolicyRule, string[]]>;
}

const ROWS: Row[] = [
  { name: "ordinary files", entries: [file("src/a.ts"), file("README.md"), file(".gitignore"), file("docs/.env.example")], broken: [] },
  { name: "a GitHub workflow", entries: [file(".github/workflows/ci.yml")], broken: [["forbidden_globs", [".github/workflows/ci.yml"]]] },
  { name: "a workflow in a case a case-insensitive checkout folds", entries: [file(".GitHub/Workflows/x.yml")], broken: [["forbidden_globs", [".GitHub/Workflows/x.yml"]]] },
  { name: "other files under .github", entries: [file(".github/CODEOWNERS"), file(".github/dependabot.yml")], broken: [] },
  { name: "a .gitlab-ci.yml at the root", entries: [file(".gitlab-ci.yml")], broken: [["forbidden_globs", [".gitlab-ci.yml"]]] },
  {
    name: ".gitattributes in any directory",
    entries: [file(".gitattributes"), file("src/deep/.gitattributes")],
    broken: [["forbidden_globs", [".gitattributes", "src/deep/.gitattributes"]]],
  },
  { name: ".gitmodules", entries: [file(".gitmodules")], broken: [["forbidden_globs", [".gitmodules"]]] },
  { name: "the job environment spec (its setup runs with network)", entries: [file(".pushpals/environment.toml")], broken: [["forbidden_globs", [".pushpals/environment.toml"]]] },
  {
    name: "a path with a .git component, any case",
    entries: [file(".git/hooks/pre-commit"), file("vendor/.GIT/config"), file("sub/.git")],
    broken: [
      ["forbidden_globs", [".git/hooks/pre-commit", "vendor/.GIT/config"]],
      ["forbidden_globs", ["sub/.git"]],
    ],
  },
  { name: "names that only look like .git", entries: [file("src/a.git"), file(".github/README.md"), file("x.gitattributes")], broken: [] },
  { name: "deleting a workflow (turning CI off is a change to it)", entries: [deleted(".github/workflows/ci.yml")], broken: [["forbidden_globs", [".github/workflows/ci.yml"]]] },
  { name: "a gitlink", entries: [gitlink("vendor/lib")], broken: [["allow_gitlinks", ["vendor/lib"]]] },
  { name: "a gitlink when the operator allows them", entries: [gitlink("vendor/lib")], policy: { allowGitlinks: true }, broken: [] },
  { name: "deleting a gitlink", entries: [deleted("vendor/lib")], broken: [] },
  { name: "a fifo", entries: [{ path: "pipe", kind: "special", size: 0 }], broken: [["special_files", ["pipe"]]] },
  { name: "symlinks inside the worktree", entries: [link("src/a", "b.ts"), link("src/c", "../docs/guide.md"), link("top", "."), link("d/e", "../f/../g")], broken: [] },
  { name: "an absolute symlink", entries: [link("key", "/root/.ssh/id_rsa")], broken: [["symlinks", ["key"]]] },
  { name: "a symlink climbing out", entries: [link("docs/passwd", "../../etc/passwd"), link("a", "..")], broken: [["symlinks", ["docs/passwd", "a"]]] },
  {
    name: "a symlink into .git",
    entries: [link("hooks", ".git/hooks"), link("src/h", "../.GIT"), link("x/y", "../vendor/.git/config")],
    broken: [["symlinks", ["hooks", "src/h", "x/y"]]],
  },
  { name: "a symlink with an empty or unread target", entries: [link("e", "")], broken: [["symlinks", ["e"]]] },
  { name: "an inside symlink when the operator allows none", entries: [link("src/a", "b.ts")], policy: { symlinks: "none" }, broken: [["symlinks", ["src/a"]]] },
  { name: "an escaping symlink when the operator allows any", entries: [link("key", "/etc/shadow")], policy: { symlinks: "any" }, broken: [] },
  { name: "deleting a symlink that pointed out", entries: [deleted("key")], broken: [] },
  { name: "a file at the size cap", entries: [file("at-cap.bin", 5 * MiB)], broken: [] },
  { name: "a file above the size cap", entries: [file("big.bin", 5 * MiB + 1)], broken: [["max_file_bytes", ["big.bin"]]] },
  {
    name: "a change above the total cap, each file under the file cap",
    entries: [file("p1", 3 * MiB), file("p2", 4 * MiB), file("p3", 2 * MiB)],
    policy: { maxChangeBytes: 8 * MiB },
    broken: [["max_change_bytes", ["p2", "p1", "p3"]]],
  },
  { name: "deletions weigh nothing", entries: [deleted("huge"), file("small", 1)], policy: { maxChangeBytes: 1 }, broken: [] },
  { name: "more paths than max_changed_files", entries: [file("a"), deleted("b"), file("c")], policy: { maxChangedFiles: 2 }, broken: [["max_changed_files", ["a", "b", "c"]]] },
  {
    name: "an operator's extra glob, and dir/ meaning everything under dir",
    entries: [file("deploy/prod.yml"), file("keys/id.pem")],
    policy: { forbiddenGlobs: ["deploy/", "**/*.pem"] },
    broken: [
      ["forbidden_globs", ["deploy/prod.yml"]],
      ["forbidden_globs", ["keys/id.pem"]],
    ],
  },
  { name: "no forbidden globs at all when the operator empties the list", entries: [file(".github/workflows/ci.yml")], policy: { forbiddenGlobs: [] }, broken: [] },
];

describe("the change policy's rules", () => {
  it.each(ROWS)("$name", ({ entries, policy, broken }) => {
    const verdict = evaluatePolicy(entries, { ...defaultChangePolicy(), ...policy });
    const found = verdict.ok ? [] : verdict.violations.map((v): [PolicyRule, string[]] => [v.rule, v.paths]);
    expect(found).toEqual(broken);
  });

  it("forbids by default exactly what configs/default.toml documents", () => {
    const policy = defaultChangePolicy();
    expect(policy).toEqual({
      forbiddenGlobs: ["**/.git", "**/.git/**", ".github/workflows/**", ".gitlab-ci.yml", "**/.gitmodules", "**/.gitattributes", ".pushpals/environment.toml"],
      symlinks: "inside",
      allowGitlinks: false,
      maxFileBytes: 5 * MiB,
      maxChangeBytes: 50 * MiB,
      maxChangedFiles: 5000,
    });
  });

  it("words each violation for people: the glob that matched, link targets with why, sizes", () => {
    const verdict = evaluatePolicy([file(".github/workflows/a.yml"), link("src/shadow", "/etc/shadow"), file("big.bin", 6 * MiB)], defaultChangePolicy());
    expect(verdict.ok).toBe(false);
    if (verdict.ok) return;
    expect(verdict.violations.map((v) => [v.detail, v.shown])).toEqual([
      ['paths matching forbidden_globs ".github/workflows/**"', [".github/workflows/a.yml"]],
      ['symlinks out of the worktree or into .git (symlinks = "inside")', ["src/shadow -> /etc/shadow (an absolute target)"]],
      ["files above max_file_bytes (5.0 MiB)", ["big.bin (6.0 MiB)"]],
    ]);
  });

  it("names a path seen in several commits once, with its largest size", () => {
    const verdict = evaluatePolicy([file("big.bin", 6 * MiB), file("big.bin", 7 * MiB)], defaultChangePolicy());
    expect(verdict.ok ? [] : verdict.violations.map((v) => v.shown)).toEqual([["big.bin (7.0 MiB)"]]);
  });
});
