import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { packageRoot } from "../shared/paths.js";

/**
 * Every benchmark, one after another (they measure a 2-core machine: running them side
 * by side would measure each other). Each prints its figures and appends its section to
 * bench/RESULTS.md. `npm run bench -- queue-store stream-fanout` runs only those named.
 */
const BENCHMARKS = ["queue-store", "queue-rpc", "stream-fanout", "sandbox-latency", "integration-merge", "pipeline-overhead", "web-bundle", "image-size", "cli-startup"];

async function main(): Promise<void> {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((name) => !BENCHMARKS.includes(name));
  if (unknown.length > 0) throw new Error(`unknown benchmark ${unknown.join(", ")}; the benchmarks are ${BENCHMARKS.join(", ")}`);
  for (const name of asked.length > 0 ? asked : BENCHMARKS) {
    process.stderr.write(`\n=== bench ${name}\n`);
    const child = spawn(process.execPath, [join(packageRoot(), "dist", "bench", `${name}.js`)], { stdio: "inherit" });
    const [code] = (await once(child, "exit")) as [number | null];
    if (code !== 0) throw new Error(`bench ${name} exited with ${code}`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[bench] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
