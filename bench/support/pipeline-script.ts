import type { ScriptedReplyInput } from "../../dev/fake-model/scripted-script.js";
import { BENCH_MODELS } from "./pipeline-system.js";

export type BenchLane = "deterministic" | "worker";

/** The run's name: in its message, its file, its script lines ("run-007", never a prefix of another). */
export function runName(lane: BenchLane, index: number): string {
  return `${lane === "worker" ? "w" : "d"}run-${String(index).padStart(3, "0")}`;
}

export function runMessage(name: string): string {
  return `bench ${name}: add the file notes/${name}.txt`;
}

/**
 * The replies one run needs, answered at once: the plan (deterministic: the script that
 * writes the run's own file; worker: the same as a task for the agent), and on the worker
 * lane the agent's two turns — write the file, then submit. Matched by model and run name,
 * so nothing depends on the order calls arrive in.
 */
export function runReplies(lane: BenchLane, name: string): ScriptedReplyInput[] {
  const file = `notes/${name}.txt`;
  const write = `mkdir -p notes && echo ${name} > ${file} && echo wrote ${name}`;
  const plan = {
    intent: "code_change",
    requires_worker: true,
    lane,
    risk: "low",
    scope: { read_anywhere: true, write_allowed: true, write_globs: ["notes/**"], forbidden_globs: [], max_files_to_edit: 1 },
    acceptance_criteria: [`${file} exists`],
    validation_steps: [],
    assistant_message: `Adding ${file}.`,
    worker_instruction: lane === "deterministic" ? write : `Create ${file} holding the line ${name}.`,
    budgets: { queue_wait_seconds: 600, execution_seconds: 300, finalization_seconds: 120, max_steps: 5, max_tokens: 100000 },
  };
  const usage = { prompt_tokens: 100, completion_tokens: 20 };
  const replies: ScriptedReplyInput[] = [{ match: { model: BENCH_MODELS.planner, role: "user", contains: `bench ${name}:` }, content: JSON.stringify(plan), usage }];
  if (lane === "worker") {
    replies.push(
      { match: { model: BENCH_MODELS.agent, role: "user", contains: `Create ${file}` }, content: `THOUGHT: I write the file.\n\n\`\`\`bash\n${write}\n\`\`\``, usage },
      {
        match: { model: BENCH_MODELS.agent, role: "user", contains: `wrote ${name}` },
        content: `THOUGHT: Done.\n\n\`\`\`bash\necho PUSHPALS_SUBMIT && echo 'Added ${file}.'\n\`\`\``,
        usage,
      },
    );
  }
  return replies;
}
