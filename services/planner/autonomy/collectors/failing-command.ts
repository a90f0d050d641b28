import { create } from "@bufbuild/protobuf";
import { CandidateSchema, type Candidate } from "../../../../gen/pushpals/v1/autonomy_pb.js";
import type { AutonomySection } from "../../../../shared/config/sections/autonomy.js";
import { clipMiddle } from "../../../../shared/text/clip.js";
import type { CollectContext } from "./collector.js";

type Command = AutonomySection["commands"]["checks"][number];

/** Runs each command on the base tree; every one that fails is a candidate with its output as evidence. */
export async function failingCommands(kind: string, commands: Command[], context: CollectContext, describe: (name: string) => string): Promise<Candidate[]> {
  if (commands.length === 0) return [];
  const tree = await context.baseTree();
  const found: Candidate[] = [];
  for (const { name, command, timeoutSeconds } of commands) {
    const run = await context.runCommand(command, { cwd: tree, timeoutMs: timeoutSeconds * 1000, signal: context.signal });
    if (run.exitCode === 0 && !run.timedOut) continue;
    const how = run.timedOut ? `timed out after ${timeoutSeconds} s` : `exited ${run.exitCode}`;
    found.push(
      create(CandidateSchema, {
        kind,
        target: name,
        key: `${kind}:${name}`,
        title: `${describe(name)} on ${context.baseBranch}: \`${command}\` ${how}`,
        evidence: `$ ${command}\n${clipMiddle(run.output, 4000)}`,
        // A timeout may be the machine, not the code.
        evidenceStrength: run.timedOut ? 0.4 : 1,
        estimatedFiles: 2,
      }),
    );
  }
  return found;
}
