import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createClients } from "../../shared/clients.js";
import { loadConfig } from "../../shared/config/load.js";
import { startScriptedModelServer } from "../../dev/fake-model/scripted-model-server.js";
import { createLogger } from "../../shared/log.js";
import { packageRoot } from "../../shared/paths.js";
import { plannedDriver } from "../../sandbox/select-driver.js";
import { PlainView } from "../client/chat/chat-view.js";
import { sendAndWait } from "../client/chat/send-and-wait.js";
import { TerminalView } from "../client/chat/terminal-view.js";
import { EXIT } from "../client/exit-codes.js";
import { styleFor } from "../client/style.js";
import { buildTree } from "../commands/up.js";
import { loadServices } from "../service-registry.js";
import { createDemoProject } from "./demo-project.js";

export const demoUsage = `pushpals demo [--dir DIR] [--timeout SECONDS]

Makes a scratch git repository with a small project and a failing test, starts the
whole system on the embedded default with a scripted model (no model server, no
network), asks it to "fix the failing test" and shows the run live: plan, job, agent
steps, validation, merge into the integration branch. Then it says where the result is.`;

const ASK = "fix the failing test";

export async function demoCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { dir: { type: "string" }, timeout: { type: "string" }, help: { type: "boolean", short: "h" } } });
  if (values.help) return void process.stdout.write(`${demoUsage}\n`);
  const timeoutMs = Number(values.timeout ?? 120) * 1000;
  if (!(timeoutMs > 0)) {
    process.stderr.write("pushpals demo: --timeout must be a number of seconds\n");
    process.exit(2);
  }
  process.env.PUSHPALS_LOG_LEVEL ??= "warn";
  const style = styleFor(process.stdout);
  const say = (text: string) => process.stdout.write(`${style.dim("demo ·")} ${text}\n`);
  const started = Date.now();

  // Absolute: the demo repository names its remote by this path, and git resolves it from the repository, not from here.
  const dir = values.dir === undefined ? await mkdtemp(join(tmpdir(), "pushpals-demo-")) : resolve(values.dir);
  const { repo, remote } = await createDemoProject(dir);
  say(`scratch repository ${repo} (origin ${remote}); its test fails: node test.js`);

  const model = await startScriptedModelServer({ script: join(packageRoot(), "cli", "demo", "demo-script.jsonl") });
  say(`scripted model at ${model.url} (no model server needed)`);
  const loaded = loadConfig({
    env: {},
    cwd: repo,
    overrides: {
      "repo.path": repo,
      "server.port": 0,
      "llm.baseUrl": model.url,
      "llm.model": "pushpals-demo",
      "llm.apiKey": "demo-key",
      "integration.checks": [{ name: "test", command: "node test.js", timeoutSeconds: 60 }],
    },
  });
  const sandbox = await plannedDriver(loaded.runner);
  // A scratch repository and a scripted model: nothing of the person's for an agent to reach.
  const config = sandbox.name === "process" ? { ...loaded, runner: { ...loaded.runner, allowUnisolated: true } } : loaded;
  if (sandbox.name === "process") {
    const why = sandbox.fallback ? "bubblewrap is not usable here" : "runner.driver is process";
    say(
      `${why}, so this demo runs its scripted agent with the process driver: NO isolation, its commands run on this host with your rights ` +
        "(runner.allow_unisolated = true for this scratch repository only; for your own repositories install bubblewrap or choose docker)",
    );
  }
  const logger = createLogger(); // each service binds its own name (see createLogger)
  const controller = new AbortController();
  let listening!: (url: string) => void;
  const url = new Promise<string>((resolve) => (listening = resolve));
  const tree = await buildTree(config, logger, await loadServices(), { onListening: listening });
  const running = tree.serve(controller.signal);
  running.catch(() => undefined);

  let code: number = EXIT.failed;
  try {
    const serverUrl = await Promise.race([url, running.then(() => Promise.reject(new Error("PushPals stopped before it was up")))]);
    say(`PushPals is up at ${serverUrl} (SQLite in ${config.storage.dataDir}, in-process bus, ${sandbox.name} sandbox)`);
    const clients = createClients(serverUrl, { token: config.server.authToken || undefined });
    const { session } = await clients.sessions.createSession({ title: "pushpals demo" });
    const view = process.stdout.isTTY ? new TerminalView(process.stdout, style) : new PlainView(process.stdout);
    code = await sendAndWait({ clients, session: session!, text: ASK, author: "you", wait: true, timeoutMs, json: false, view, style });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (code === EXIT.ok) {
      say(`done in ${seconds} s. The fix is on branch ${config.integration.branch} of ${repo}, pushed to ${remote}:`);
      say(`  git -C ${repo} log --oneline -3 ${config.integration.branch}`);
      say(`  git -C ${repo} show ${config.integration.branch} -- src/math.js`);
      say(`explore it: pushpals up --repo ${repo}, then pushpals status / jobs / logs <job> against it`);
    } else {
      say(`the demo did not end with a merge (exit ${code}) after ${seconds} s; the log above says where it stopped`);
    }
  } finally {
    controller.abort();
    await running.catch(() => undefined);
    await model.close();
  }
  process.exitCode = code;
}
