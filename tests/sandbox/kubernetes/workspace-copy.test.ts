import { Code } from "@connectrpc/connect";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, readdir, readlink, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Sandbox } from "../../../sandbox/driver.js";
import { git, writeFiles } from "../../support/git.js";
import { tempDir, type TempDir } from "../../support/tmp.js";
import { describeIfAvailable } from "../environment.js";
import { collect, makeWorkspace, type Workspace } from "../fixtures.js";
import { ON_REAL_CLUSTER, kubeRequirement, openKubeTarget, type KubeTarget } from "./kube-target.js";
import { driverFor, expectConnectError, inPod, specFor } from "./support.js";

const LISTING = "find . -path ./.git -prune -o -print | LC_ALL=C sort";
const BIG_BYTES = 4 * 1024 * 1024;

describeIfAvailable("kubernetes sandbox workspace copy", await kubeRequirement(), () => {
  let target: KubeTarget;
  let workspace: Workspace;
  let sandbox: Sandbox;
  let scratch: TempDir;
  let bigDigest: string;

  beforeAll(async () => {
    target = await openKubeTarget();
    workspace = await makeWorkspace();
    scratch = await tempDir("pushpals-k8s-scratch-");
    const tree = workspace.worktree;
    await writeFiles(tree, { "bin/tool.sh": "#!/bin/sh\necho tool ran\n", "deep/a/b/c.txt": "deep\n", "docs/ünï cödé.md": "unicode name\n" });
    await chmod(join(tree, "bin/tool.sh"), 0o755);
    await mkdir(join(tree, "empty"));
    await symlink("README.md", join(tree, "link-to-readme"));
    const big = randomBytes(BIG_BYTES);
    bigDigest = createHash("sha256").update(big).digest("hex");
    await writeFile(join(tree, "big.bin"), big);
    await git(tree, "add", "bin", "deep");
    await writeFile(join(tree, "README.md"), "# sandbox test\nchanged, not staged\n");
    const startedAt = performance.now();
    sandbox = await driverFor(target).start(specFor(tree, "copy-runner"));
    console.log(
      `[measure] kubernetes (${ON_REAL_CLUSTER ? "real cluster" : "fake API"}): start with a ${BIG_BYTES / 1024 / 1024} MiB worktree copied in: ${Math.round(performance.now() - startedAt)} ms`,
    );
  });
  afterAll(async () => {
    await sandbox?.stop();
    await workspace?.dir.remove();
    await scratch?.remove();
    await target?.close();
  });

  it("starts with the worktree copied in: nested dirs, modes, symlinks, odd names, exact bytes", async () => {
    expect(await inPod(sandbox, LISTING)).toBe(
      [
        ".",
        "./README.md",
        "./big.bin",
        "./bin",
        "./bin/tool.sh",
        "./deep",
        "./deep/a",
        "./deep/a/b",
        "./deep/a/b/c.txt",
        "./docs",
        "./docs/ünï cödé.md",
        "./empty",
        "./link-to-readme",
        "./sub",
        "./sub/dir",
        "./sub/dir/file.txt",
        "",
      ].join("\n"),
    );
    expect(await inPod(sandbox, "./bin/tool.sh && stat -c %a bin/tool.sh && readlink link-to-readme && cat 'docs/ünï cödé.md'")).toBe("tool ran\n755\nREADME.md\nunicode name\n");
    expect((await inPod(sandbox, "sha256sum big.bin")).split(" ")[0]).toBe(bigDigest);
  });

  it("lets git in the pod see the job's state, but not commit", async (context) => {
    if ((await collect(sandbox.exec("command -v git"))).result.exitCode !== 0) context.skip("the image has no git");
    // (the git helper trims, so both sides are compared trimmed)
    expect((await inPod(sandbox, "git status --porcelain")).trim()).toBe(await git(workspace.worktree, "status", "--porcelain"));
    expect(await inPod(sandbox, "git log --format=%s")).toBe("initial\n");
    const commit = await collect(sandbox.exec("git -c user.name=a -c user.email=a@b commit -q --allow-empty -m sneaky"));
    expect(commit.result.exitCode).not.toBe(0);
    expect(await inPod(sandbox, "grep -c . .git/config; grep -ci -e url -e credential -e hooks .git/config || true")).toBe("4\n0\n");
  });

  it("copies the pod's changes out: edits, new files, deletions, modes and links, but no git data", async () => {
    await inPod(
      sandbox,
      [
        "echo 'edited in the pod' >> README.md",
        "mkdir -p new/dir && echo fresh > new/dir/file.txt",
        "rm deep/a/b/c.txt",
        "chmod +x 'docs/ünï cödé.md'",
        "rm link-to-readme && ln -s new/dir/file.txt link-to-new",
        "mkdir -p .git/hooks && echo 'touch /tmp/pwned' > .git/hooks/post-commit",
        "mkdir -p sub/.git && echo '[core]' > sub/.git/config",
      ].join(" && "),
    );
    const dotGitBefore = await readFile(join(workspace.worktree, ".git"), "utf8");
    const startedAt = performance.now();
    await sandbox.copyOut(workspace.worktree);
    console.log(
      `[measure] kubernetes (${ON_REAL_CLUSTER ? "real cluster" : "fake API"}): copyOut of a ${BIG_BYTES / 1024 / 1024} MiB workspace: ${Math.round(performance.now() - startedAt)} ms`,
    );
    const tree = workspace.worktree;
    expect(await readFile(join(tree, "README.md"), "utf8")).toBe("# sandbox test\nchanged, not staged\nedited in the pod\n");
    expect(await readFile(join(tree, "new/dir/file.txt"), "utf8")).toBe("fresh\n");
    expect(existsSync(join(tree, "deep/a/b/c.txt"))).toBe(false);
    expect(await readdir(join(tree, "deep/a/b"))).toEqual([]);
    expect((await stat(join(tree, "docs/ünï cödé.md"))).mode & 0o111).not.toBe(0);
    expect(existsSync(join(tree, "link-to-readme"))).toBe(false);
    expect(await readlink(join(tree, "link-to-new"))).toBe("new/dir/file.txt");
    expect(
      createHash("sha256")
        .update(await readFile(join(tree, "big.bin")))
        .digest("hex"),
    ).toBe(bigDigest);
    expect(await readFile(join(tree, ".git"), "utf8")).toBe(dotGitBefore);
    expect(existsSync(join(workspace.commonGitDir, "hooks/post-commit"))).toBe(false);
    expect(existsSync(join(tree, "sub/.git"))).toBe(false);
    // What git on the host now sees (trimmed by the helper): the edit, the staged file deleted in
    // the pod, and the new untracked files; the untracked symlink that was removed is gone.
    expect(await git(tree, "status", "--porcelain")).toBe(["M README.md", "A  bin/tool.sh", "AD deep/a/b/c.txt", "?? big.bin", "?? docs/", "?? link-to-new", "?? new/"].join("\n"));
  });

  it("copies the whole workspace into another directory", async () => {
    const elsewhere = join(scratch.path, "elsewhere");
    await mkdir(elsewhere);
    await sandbox.copyOut(elsewhere);
    expect((await readdir(elsewhere)).sort()).toEqual(["README.md", "big.bin", "bin", "deep", "docs", "empty", "link-to-new", "new", "sub"]);
  });

  it("leaves the worktree untouched when the pod's tar fails", async () => {
    await inPod(sandbox, "echo secret > unreadable && chmod 000 unreadable && echo more > also-new.txt");
    await expectConnectError(sandbox.copyOut(workspace.worktree), Code.Unavailable, /failed \(tar exit [1-9]\d*\): .*unreadable.*nothing was changed in/s);
    expect(existsSync(join(workspace.worktree, "also-new.txt"))).toBe(false);
    expect(existsSync(join(workspace.worktree, "unreadable"))).toBe(false);
    await inPod(sandbox, "rm -f unreadable also-new.txt");
  });

  it("replaces the workspace with another directory on copyIn", async () => {
    const other = join(scratch.path, "other");
    await writeFiles(other, { "only-here.txt": "other\n" });
    await sandbox.copyIn(other);
    expect(await inPod(sandbox, "ls -A")).toBe("only-here.txt\n");
    await sandbox.copyIn(workspace.worktree);
    expect(await inPod(sandbox, "cat new/dir/file.txt")).toBe("fresh\n");
  });

  it("refuses a host directory that is not an absolute, existing directory", async () => {
    await expectConnectError(sandbox.copyIn("relative/dir"), Code.InvalidArgument, /^hostDir: "relative\/dir" must be an absolute host path/);
    await expectConnectError(sandbox.copyOut(join(scratch.path, "missing")), Code.InvalidArgument, /^hostDir: .*missing is not a directory/);
  });
});
