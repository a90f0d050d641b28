import { parseArgs } from "node:util";
import { ConfigError } from "../../shared/config/load.js";
import type { Config } from "../../shared/config/schema.js";
import { errorMessage } from "../../shared/errors.js";
import { styleFor } from "../client/style.js";
import { configFlagOptions, configFromFlags } from "../config-flags.js";
import { configResult } from "./config-probe.js";
import { engineProbe } from "./engine-probe.js";
import { gitProbe } from "./git-probe.js";
import { modelProbe } from "./model-probe.js";
import { broken, type Probe, type ProbeResult } from "./probe.js";
import { sandboxProbe } from "./sandbox-probe.js";
import { natsProbe, postgresProbe } from "./shared-state-probes.js";

export const doctorUsage = `pushpals doctor [--repo DIR] [--profile NAME] [--database-url URL] [--nats-url URL]

Checks what \`pushpals up\` needs, with the same configuration: the config files, git and
the repository, the model endpoint (one tiny request per role), the sandbox driver,
Postgres and NATS when configured, the container engine. One line each, with the fix
for anything broken. Exits 0 when nothing is broken, 1 otherwise.`;

/** A probe that hangs (a black-holed address) is a broken probe, not a hung doctor. */
const PROBE_TIMEOUT_MS = 20_000;
const NAME_WIDTH = 18;

export async function doctorCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { ...configFlagOptions, help: { type: "boolean", short: "h" } } });
  if (values.help) return void process.stdout.write(`${doctorUsage}\n`);
  const style = styleFor(process.stdout);
  const print = (name: string, result: ProbeResult) => process.stdout.write(`${describe(name, result, style)}\n`);

  let config: Config;
  try {
    config = configFromFlags(values);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    print("config", broken(error.message.replace(/\n/g, " "), "fix the named keys in the file or variable the message names"));
    process.exitCode = 1;
    return;
  }
  print("config", configResult(config));
  const probes: Probe[] = [
    gitProbe(config),
    modelProbe(config, "planner"),
    modelProbe(config, "agent"),
    sandboxProbe(config),
    postgresProbe(config),
    natsProbe(config),
    engineProbe(config),
  ];
  let brokenCount = 0;
  for (const probe of probes) {
    const result = await runProbe(probe);
    if (result.status === "broken") brokenCount += 1;
    print(probe.name, result);
  }
  process.stdout.write(
    brokenCount === 0 ? `${style.ok("nothing is broken")}\n` : `${style.bad(`${brokenCount} broken`)}: fix the ✗ lines above, then run \`pushpals doctor\` again\n`,
  );
  process.exitCode = brokenCount === 0 ? 0 : 1;
}

async function runProbe(probe: Probe): Promise<ProbeResult> {
  const signal = AbortSignal.timeout(PROBE_TIMEOUT_MS);
  try {
    return await probe.run(signal);
  } catch (error) {
    const detail = signal.aborted ? `no answer within ${PROBE_TIMEOUT_MS / 1000} s` : `the check itself failed: ${errorMessage(error)}`;
    return broken(detail, "run again; if it keeps failing, check the part it names by hand");
  }
}

function describe(name: string, result: ProbeResult, style: ReturnType<typeof styleFor>): string {
  const label = name.padEnd(NAME_WIDTH);
  switch (result.status) {
    case "ok":
      return `${style.ok("✓")} ${label}${result.detail}`;
    case "skipped":
      return `${style.dim("-")} ${label}${style.dim(result.detail)}`;
    case "warn":
      return `${style.warn("!")} ${label}${result.detail} — ${result.fix}`;
    case "broken":
      return `${style.bad("✗")} ${label}${result.detail} — fix: ${result.fix}`;
  }
}
