import { Code } from "@connectrpc/connect";
import { link, lstat, mkdir, readFile, readlink, readdir, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pack, extract, type Header } from "tar-stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../../shared/log.js";
import { mirrorTree } from "../../../sandbox/kubernetes/mirror-tree.js";
import { unpackSafely, type UnpackedTree } from "../../../sandbox/kubernetes/unpack-safely.js";
import { tempDir, type TempDir } from "../../support/tmp.js";
import { expectConnectError } from "./support.js";

type Member = Partial<Header> & { name: string; content?: string };

/** A tar as a pod could send it, crafted member by member. */
async function archive(members: Member[]): Promise<Buffer> {
  const tar = pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of tar) chunks.push(chunk as Buffer);
  })();
  for (const { content, ...header } of members) {
    await new Promise<void>((resolve, reject) => tar.entry(header, content ?? "", (error) => (error ? reject(error) : resolve())));
  }
  tar.finalize();
  await done;
  return Buffer.concat(chunks);
}

async function unpack(members: Member[], root: string, maxBytes = 1024 * 1024): Promise<UnpackedTree> {
  const entries = extract();
  entries.end(await archive(members));
  return unpackSafely(entries, root, maxBytes, silentLogger);
}

describe("unpacking a pod's workspace archive", () => {
  let dir: TempDir;
  let staging: string;
  beforeEach(async () => {
    dir = await tempDir("pushpals-k8s-archive-");
    staging = join(dir.path, "staging");
    await mkdir(staging);
  });
  afterEach(async () => dir.remove());

  it("unpacks directories, files with their permission bits, symlinks and hard links", async () => {
    const tree = await unpack(
      [
        { name: "./", type: "directory", mode: 0o755 },
        { name: "./bin/", type: "directory", mode: 0o755 },
        { name: "./bin/run.sh", mode: 0o4755, content: "#!/bin/sh\necho run\n" },
        { name: "./notes.txt", mode: 0o644, content: "notes\n" },
        { name: "./notes-link", type: "symlink", linkname: "notes.txt" },
        { name: "./same-notes", type: "link", linkname: "./notes.txt" },
        { name: "./deep/er/file.txt", content: "implicit parents\n" },
        { name: "./null", type: "character-device", devmajor: 1, devminor: 3 },
      ],
      staging,
    );
    expect([...tree.entries.keys()].sort()).toEqual(["bin", "bin/run.sh", "deep", "deep/er", "deep/er/file.txt", "notes-link", "notes.txt", "same-notes"]);
    expect(tree.entries.get("bin/run.sh")).toMatchObject({ kind: "file", mode: 0o755 });
    expect(await readFile(join(staging, "same-notes"), "utf8")).toBe("notes\n");
    expect(await readlink(join(staging, "notes-link"))).toBe("notes.txt");
    expect(tree.bytes).toBe("#!/bin/sh\necho run\n".length + "notes\n".length + "implicit parents\n".length);
  });

  it("never brings git data back, at any depth or in any case", async () => {
    const tree = await unpack(
      [
        { name: "./.git/hooks/post-commit", mode: 0o755, content: "touch /tmp/pwned\n" },
        { name: "./.git", content: "gitdir: /tmp/elsewhere\n" },
        { name: "./sub/.git/config", content: "[core]\n\tfsmonitor = touch /tmp/pwned\n" },
        { name: "./.GIT/config", content: "x" },
        { name: "./kept.txt", content: "kept\n" },
      ],
      staging,
    );
    expect([...tree.entries.keys()]).toEqual(["kept.txt"]);
    expect(await readdir(staging)).toEqual(["kept.txt"]);
  });

  it.each([
    ["a name that climbs out", [{ name: "../escape.txt", content: "x" }], /"\.\.\/escape\.txt" leaves the workspace/],
    ["a name inside that climbs out", [{ name: "./a/../../escape.txt", content: "x" }], /leaves the workspace/],
    ["an absolute name", [{ name: "/etc/cron.d/pwn", content: "x" }], /"\/etc\/cron\.d\/pwn" is absolute/],
    [
      "a file written through a symlinked directory",
      [
        { name: "./link", type: "symlink", linkname: "/etc" },
        { name: "./link/passwd", content: "x" },
      ],
      /"link\/passwd" goes through "link", which the archive made a symlink/,
    ],
    ["a hard link to a host file", [{ name: "./h", type: "link", linkname: "/etc/passwd" }], /is absolute/],
    ["a hard link to nothing unpacked", [{ name: "./h", type: "link", linkname: "missing" }], /names "missing", which is not a file unpacked before it/],
  ] as [string, Member[], RegExp][])("refuses %s", async (_what, members, message) => {
    await expectConnectError(unpack(members, staging), Code.FailedPrecondition, message);
    expect(await readdir(dir.path)).toEqual(["staging"]);
  });

  it("stops at the size cap", async () => {
    await expectConnectError(
      unpack(
        [
          { name: "a", content: "x".repeat(600) },
          { name: "b", content: "y".repeat(600) },
        ],
        staging,
        1000,
      ),
      Code.FailedPrecondition,
      /more than 1000 bytes/,
    );
  });

  it("lets a later member replace an earlier one of another kind", async () => {
    const tree = await unpack(
      [
        { name: "x", content: "file first" },
        { name: "x", type: "directory", mode: 0o755 },
        { name: "x/inner.txt", content: "inner" },
      ],
      staging,
    );
    expect(tree.entries.get("x")?.kind).toBe("directory");
    expect(await readFile(join(staging, "x", "inner.txt"), "utf8")).toBe("inner");
  });
});

describe("mirroring the unpacked workspace into the worktree", () => {
  let dir: TempDir;
  let host: string;
  let staging: string;
  let outside: string;
  beforeEach(async () => {
    dir = await tempDir("pushpals-k8s-mirror-");
    host = join(dir.path, "worktree");
    staging = join(dir.path, "staging");
    outside = join(dir.path, "outside");
    for (const path of [host, staging, outside, join(host, "gone-dir/deeper"), join(host, "sub/.git"), join(host, "kept-dir")]) await mkdir(path, { recursive: true });
    await writeFile(join(host, ".git"), "gitdir: /somewhere/.git/worktrees/job\n");
    await writeFile(join(host, "sub/.git/HEAD"), "ref: refs/heads/main\n");
    await writeFile(join(host, "changed.txt"), "old\n");
    await writeFile(join(host, "gone.txt"), "delete me\n");
    await writeFile(join(host, "gone-dir/deeper/file"), "delete me too\n");
    await writeFile(join(outside, "target.txt"), "outside, untouched\n");
    await symlink(join(outside, "target.txt"), join(host, "was-a-link.txt"));
    await writeFile(join(host, "hard.txt"), "shared inode\n");
    await link(join(host, "hard.txt"), join(outside, "hard-twin.txt"));
  });
  afterEach(async () => dir.remove());

  it("makes the worktree hold exactly the archive, leaving git data and outside files alone", async () => {
    const tree = await unpack(
      [
        { name: "./changed.txt", mode: 0o755, content: "new\n" },
        { name: "./was-a-link.txt", content: "now a plain file\n" },
        { name: "./hard.txt", content: "changed in the pod\n" },
        { name: "./kept-dir/", type: "directory", mode: 0o755 },
        { name: "./kept-dir/added.txt", content: "added\n" },
        { name: "./new-link", type: "symlink", linkname: "changed.txt" },
        { name: "./sub/", type: "directory", mode: 0o755 },
      ],
      staging,
    );
    const stats = await mirrorTree(tree, host);
    expect(stats).toEqual({ written: 5, removed: 2 });
    expect((await readdir(host)).sort()).toEqual([".git", "changed.txt", "hard.txt", "kept-dir", "new-link", "sub", "was-a-link.txt"]);
    expect(await readFile(join(host, "changed.txt"), "utf8")).toBe("new\n");
    expect((await stat(join(host, "changed.txt"))).mode & 0o777).toBe(0o755);
    expect((await lstat(join(host, "was-a-link.txt"))).isSymbolicLink()).toBe(false);
    expect(await readFile(join(outside, "target.txt"), "utf8")).toBe("outside, untouched\n");
    expect(await readFile(join(host, "hard.txt"), "utf8")).toBe("changed in the pod\n");
    expect(await readFile(join(outside, "hard-twin.txt"), "utf8")).toBe("shared inode\n");
    expect(await readlink(join(host, "new-link"))).toBe("changed.txt");
    expect(await readFile(join(host, "kept-dir/added.txt"), "utf8")).toBe("added\n");
    expect(await readFile(join(host, ".git"), "utf8")).toBe("gitdir: /somewhere/.git/worktrees/job\n");
    expect(await readFile(join(host, "sub/.git/HEAD"), "utf8")).toBe("ref: refs/heads/main\n");
  });
});
