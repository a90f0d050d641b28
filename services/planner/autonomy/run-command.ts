import { spawn } from "node:child_process";
import { clipMiddle } from "../../../shared/text/clip.js";

export interface CommandRun {
  exitCode: number;
  timedOut: boolean;
  /** stdout and stderr interleaved, head and tail kept. */
  output: string;
}

const OUTPUT_CAP = 256 * 1024;

/**
 * A command of PushPals' own (the base export's tar) under bash in `cwd`, in its own process
 * group so a timeout or an abort kills everything it started. Repository commands go through
 * sandboxed-command.ts instead.
 */
export function runCommand(command: string, options: { cwd: string; timeoutMs: number; signal: AbortSignal }): Promise<CommandRun> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", command], { cwd: options.cwd, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let timedOut = false;
    const take = (chunk: Buffer) => {
      if (output.length < OUTPUT_CAP * 2) output += chunk.toString("utf8");
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, options.timeoutMs);
    options.signal.addEventListener("abort", killGroup, { once: true });
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      options.signal.removeEventListener("abort", killGroup);
      resolve({ exitCode: code ?? -1, timedOut, output: clipMiddle(output, OUTPUT_CAP) });
    });
  });
}
