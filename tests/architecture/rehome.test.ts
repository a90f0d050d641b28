import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script with no declarations (it runs before npm ci)
import { mapPath, rehome } from "../../scripts/rehome.mjs";
import { tempDir, type TempDir } from "../support/tmp.js";

const run = mapPath as (path: string) => string;
const move = rehome as (root: string, options: { log: (line: string) => void }) => { moved: number; rewritten: number };

describe("scripts/rehome.mjs", () => {
  let dir: TempDir | undefined;
  afterEach(async () => {
    await dir?.remove();
    dir = undefined;
  });

  async function repo(files: Record<string, string>, untracked: Record<string, string> = {}) {
    dir = await tempDir("pushpals-rehome-");
    const git = (...args: string[]) => execFileSync("git", args, { cwd: dir!.path, encoding: "utf8" });
    git("init", "-q");
    const put = async (all: Record<string, string>) => {
      for (const [path, text] of Object.entries(all)) {
        await mkdir(dirname(join(dir!.path, path)), { recursive: true });
        await writeFile(join(dir!.path, path), text);
      }
    };
    await put(files);
    git("add", "-A");
    await put(untracked);
    return { root: dir.path, git, read: (path: string) => readFile(join(dir!.path, path), "utf8") };
  }

  it("maps files, folders, stems and dist/ paths; leaves new paths alone", () => {
    expect(run("services/kernel/log.ts")).toBe("shared/log.ts");
    expect(run("services/kernel")).toBe("shared");
    expect(run("services/kernel/store/sql/claim.ts")).toBe("services/control-plane/store/sql/claim.ts");
    expect(run("services/kernel/llm/scripted-model-server.js")).toBe("dev/fake-model/scripted-model-server.js");
    expect(run("services/kernel/llm/scripted-model-server-main.ts")).toBe("dev/fake-model/scripted-model-server-main.ts");
    expect(run("dist/supervisor/tree/backoff.js")).toBe("dist/supervisor/backoff.js");
    for (const now of ["shared/log.ts", "supervisor/backoff.ts", "services/runner/run-job.ts", "sandbox/driver.ts", "cli/main.ts"]) expect(run(now)).toBe(now);
  });

  it("moves the tree, files the table never named included, rewrites every kind of specifier and path, and is idempotent", async () => {
    const { root, git, read } = await repo(
      {
        "services/kernel/log.ts": "export const log = 1;\n",
        "services/kernel/paths.ts": 'export const root = new URL("../../", import.meta.url);\n',
        "services/kernel/store/migrations-folder.ts": 'import { join } from "node:path";\nexport const m = join("root", "services/kernel/store/migrations");\n',
        "supervisor/runner/run-job.ts":
          'import { log } from "../../shared/log.js";\nimport type { D } from "../sandbox/driver.js";\nexport { log };\nexport const k = () => import("../sandbox/driver.js");\n// see ../escape and services/kernel/log.ts\nexport const outside = "../../etc/passwd";\n',
        "supervisor/sandbox/driver.ts": "export type D = 1;\n",
        "supervisor/tree/service.ts": 'export * from "../../shared/log.js";\n',
        "tests/run-job.test.ts":
          'import { vi } from "vitest";\nvi.mock("../supervisor/runner/run-job.js");\nconst bridge = new URL("../dist/services/kernel/log.js", import.meta.url);\n',
        "README.md": "See `services/kernel/log.ts`, [drivers](supervisor/sandbox/driver.ts) and the tree (root/services/sessions).\n",
        "tsconfig.json": '{ "include": ["gen", "services", "supervisor", "tests"] }\n',
      },
      { "supervisor/sandbox/new-driver.ts": 'import { log } from "../../shared/log.js";\n' },
    );
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "old layout");
    const first = move(root, { log: () => undefined });
    expect(first.moved).toBe(7);

    expect(await read("services/runner/run-job.ts")).toBe(
      'import { log } from "../../shared/log.js";\nimport type { D } from "../../sandbox/driver.js";\nexport { log };\nexport const k = () => import("../../sandbox/driver.js");\n// see ../escape and shared/log.ts\nexport const outside = "../../etc/passwd";\n',
    );
    expect(await read("shared/paths.ts")).toBe('export const root = new URL("../", import.meta.url);\n');
    expect(await read("services/control-plane/store/migrations-folder.ts")).toContain('join("root", "services/control-plane/store/migrations")');
    expect(await read("supervisor/service.ts")).toBe('export * from "../shared/log.js";\n');
    expect(await read("sandbox/new-driver.ts")).toBe('import { log } from "../shared/log.js";\n');
    expect(await read("tests/run-job.test.ts")).toBe(
      'import { vi } from "vitest";\nvi.mock("../services/runner/run-job.js");\nconst bridge = new URL("../dist/shared/log.js", import.meta.url);\n',
    );
    expect(await read("README.md")).toBe("See `shared/log.ts`, [drivers](sandbox/driver.ts) and the tree (root/services/sessions).\n");
    expect(JSON.parse(await read("tsconfig.json")).include).toEqual(["gen", "shared", "sandbox", "services", "supervisor", "tests"]);
    expect(existsSync(join(root, "services/kernel"))).toBe(false);
    expect(git("status", "--porcelain")).toContain("R  services/kernel/log.ts -> shared/log.ts");

    const again = move(root, { log: () => undefined });
    expect(again).toEqual({ moved: 0, rewritten: 0 });
  });

  it("refuses to move a file onto one that exists, and changes nothing", async () => {
    const { root, read } = await repo({ "services/kernel/log.ts": "old\n", "shared/log.ts": "new\n" });
    expect(() => move(root, { log: () => undefined })).toThrow("rehome: services/kernel/log.ts would move onto shared/log.ts, which exists");
    expect(await read("services/kernel/log.ts")).toBe("old\n");
  });
});
