import { readdir, readFile } from "node:fs/promises";
import type { ServiceName } from "../../../shared/service-definition.js";

interface HostProcess {
  pid: number;
  commandLine: string;
}

/** Every process on this host whose command line contains `text` (what `pgrep -f` sees), but this one. */
async function processesWith(text: string): Promise<HostProcess[]> {
  const found: HostProcess[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const raw = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    const commandLine = raw.replaceAll("\0", " ").trim();
    if (commandLine.includes(text)) found.push({ pid: Number(entry), commandLine });
  }
  return found;
}

/**
 * The pid of the mesh child running `service` for the system whose data dir is `dataDir`
 * (`pgrep -f "serve runner .*<data dir>"`): mesh children carry --data-dir on their command
 * line. Waits for exactly one, since a restarted child takes a moment to appear.
 */
export async function meshChildPid(service: ServiceName, dataDir: string, timeoutMs = 20_000, not?: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const matches = (await processesWith(`--data-dir ${dataDir}`)).filter((p) => p.commandLine.includes(` serve ${service} `) && p.pid !== not);
    if (matches.length === 1) return matches[0]!.pid;
    if (Date.now() > deadline) {
      throw new Error(`expected one "pushpals serve ${service}" process for ${dataDir} within ${timeoutMs} ms, found ${matches.length}: ${matches.map((m) => m.pid).join(", ")}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Processes still running with `dataDir` in their command line, waiting up to `graceMs` for
 * them to go. Whatever is left after that is killed (so a failing test leaves nothing behind)
 * and returned, for the caller to report.
 */
export async function leftoverProcesses(dataDir: string, graceMs: number): Promise<string[]> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    const left = await processesWith(dataDir);
    if (left.length === 0) return [];
    if (Date.now() > deadline) {
      for (const { pid } of left) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // Gone in the meantime.
        }
      }
      return left.map((p) => `${p.pid} ${p.commandLine}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
