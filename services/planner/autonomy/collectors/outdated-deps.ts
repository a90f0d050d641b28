import { create } from "@bufbuild/protobuf";
import { z } from "zod";
import { CandidateSchema, type Candidate } from "../../../../gen/pushpals/v1/autonomy_pb.js";
import type { Collector } from "./collector.js";

/** `npm outdated --json`: an object keyed by package, each with current, wanted and latest. */
const outdatedJson = z.record(z.string(), z.object({ current: z.string().optional(), wanted: z.string().optional(), latest: z.string().optional() }).passthrough());

/** Outdated dependencies from the configured commands (autonomy.commands.outdated), one candidate per package. */
export const outdatedDeps: Collector = {
  kind: "outdated",
  async collect(context) {
    const commands = context.config.commands.outdated;
    if (commands.length === 0) return [];
    const tree = await context.baseTree();
    const found: Candidate[] = [];
    for (const { name, command, timeoutSeconds } of commands) {
      // npm outdated exits 1 when something is outdated: the JSON is what counts. It asks the
      // registry, so its sandbox has network (and, like every collector's, no secrets).
      const run = await context.runCommand(command, { cwd: tree, timeoutMs: timeoutSeconds * 1000, signal: context.signal, network: true });
      let parsed: z.infer<typeof outdatedJson>;
      try {
        parsed = outdatedJson.parse(JSON.parse(run.output.trim() || "{}"));
      } catch {
        continue;
      }
      for (const [pkg, info] of Object.entries(parsed)) {
        if (!info.latest || info.current === info.latest) continue;
        const major = (v?: string) => Number.parseInt((v ?? "").split(".")[0] ?? "", 10);
        const majorBump = major(info.current) !== major(info.latest);
        found.push(
          create(CandidateSchema, {
            kind: "outdated",
            target: pkg,
            key: `outdated:${pkg}`,
            title: `${pkg} ${info.current ?? "?"} → ${info.latest} (${name})`,
            evidence: `$ ${command}\n${JSON.stringify({ [pkg]: info })}`,
            evidenceStrength: 1,
            // A major upgrade usually means code changes too.
            estimatedFiles: majorBump ? 5 : 2,
          }),
        );
      }
    }
    return found;
  },
};
