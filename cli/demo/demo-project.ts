import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { hostGit } from "../../shared/git/host-git.js";

/** A small project whose one test fails: add() subtracts. */
const FILES: Record<string, string> = {
  "package.json": `${JSON.stringify({ name: "pushpals-demo", private: true, type: "module", scripts: { test: "node test.js" } }, null, 2)}\n`,
  "src/math.js": "/** Adds two numbers. */\nexport function add(a, b) {\n  return a - b;\n}\n",
  "test.js": [
    'import { add } from "./src/math.js";',
    "",
    "const got = add(2, 3);",
    "if (got !== 5) {",
    "  console.error(`FAIL add(2, 3): expected 5, got ${got}`);",
    "  process.exit(1);",
    "}",
    'console.log("ok add(2, 3) = 5");',
    "",
  ].join("\n"),
  "README.md": "# pushpals-demo\n\nA scratch project for `pushpals demo`. Run the test with `node test.js`.\n",
  ".gitignore": ".pushpals/\n",
};

export interface DemoProject {
  repo: string;
  remote: string;
}

/** Makes `<dir>/repo` (branch main, one commit) with a bare `<dir>/origin.git` as its origin. */
export async function createDemoProject(dir: string): Promise<DemoProject> {
  const repo = join(dir, "repo");
  const remote = join(dir, "origin.git");
  await mkdir(repo, { recursive: true });
  for (const [path, content] of Object.entries(FILES)) {
    await mkdir(dirname(join(repo, path)), { recursive: true });
    await writeFile(join(repo, path), content);
  }
  const git = (cwd: string, ...args: string[]) => hostGit(cwd, args, { env: IDENTITY });
  await git(dir, "init", "-q", "--bare", "-b", "main", remote);
  await git(repo, "init", "-q", "-b", "main");
  await git(repo, "add", "-A");
  await git(repo, "commit", "-q", "-m", "A tiny project with a failing test");
  await git(repo, "remote", "add", "origin", remote);
  await git(repo, "push", "-q", "origin", "main");
  return { repo, remote };
}

const IDENTITY = {
  GIT_AUTHOR_NAME: "PushPals Demo",
  GIT_AUTHOR_EMAIL: "demo@pushpals.invalid",
  GIT_COMMITTER_NAME: "PushPals Demo",
  GIT_COMMITTER_EMAIL: "demo@pushpals.invalid",
};
