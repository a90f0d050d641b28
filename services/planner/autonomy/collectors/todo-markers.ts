import { create } from "@bufbuild/protobuf";
import { CandidateSchema, type Candidate } from "../../../../gen/pushpals/v1/autonomy_pb.js";
import { runHostGit } from "../../../../shared/git/host-git.js";
import { clipEnd } from "../../../../shared/text/clip.js";
import type { Collector } from "./collector.js";

/** TODO and FIXME markers on the base branch, one candidate per file (the files with the most first). */
export const todoMarkers: Collector = {
  kind: "todo",
  async collect(context) {
    const max = context.config.todoMaxFiles;
    if (max === 0) return [];
    // Exit 1 is "no match".
    const grep = await runHostGit(["grep", "-n", "-I", "-E", "\\b(TODO|FIXME)\\b", context.baseBranch, "--"], {
      cwd: context.repoPath,
      signal: context.signal,
      okCodes: [1],
    });
    const byFile = new Map<string, string[]>();
    for (const line of grep.stdout.split("\n")) {
      // <ref>:<path>:<line>:<text>
      const match = /^[^:]+:([^:]+):(\d+):(.*)$/.exec(line);
      if (!match) continue;
      const [, path, number, text] = match;
      const list = byFile.get(path!) ?? [];
      list.push(`${path}:${number}: ${text!.trim()}`);
      byFile.set(path!, list);
    }
    const files = [...byFile.entries()].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0])).slice(0, max);
    return files.map(
      ([path, lines]): Candidate =>
        create(CandidateSchema, {
          kind: "todo",
          target: path,
          key: `todo:${path}`,
          title: `${lines.length} TODO/FIXME marker${lines.length === 1 ? "" : "s"} in ${path}`,
          evidence: clipEnd(lines.join("\n"), 4000),
          // Markers are often notes, not bugs: ambiguous unless there are many.
          evidenceStrength: Math.min(1, 0.3 + 0.1 * lines.length),
          estimatedFiles: 1,
        }),
    );
  },
};
