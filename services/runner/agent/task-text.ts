import type { WriteScope } from "../../../gen/pushpals/v1/task_pb.js";
import type { AgentTask } from "./agent-types.js";

/** The plan's parts as the prompts show them: plain lists a model reads easily. */
export interface TaskText {
  instruction: string;
  acceptance_criteria: string;
  scope: string;
  validation_steps: string;
}

export function taskText(task: AgentTask): TaskText {
  const { acceptanceCriteria, validationSteps, scope } = task.planning;
  return {
    instruction: task.instruction.trim(),
    acceptance_criteria: acceptanceCriteria.length > 0 ? bullets(acceptanceCriteria) : "- (none given: do what the task says, and nothing more)",
    scope: scopeText(scope),
    validation_steps: validationSteps.length > 0 ? bullets(validationSteps.map((step) => `\`${step}\``)) : "- (none: nothing is run after you submit)",
  };
}

function scopeText(scope: WriteScope | undefined): string {
  if (!scope) return "- No write scope was given: change only the files the task needs.";
  if (!scope.writeAllowed) return "- This task may not change any file: read, run and report only.";
  const lines = [scope.writeGlobs.length > 0 ? `- You may change only files matching: ${scope.writeGlobs.join(", ")}` : "- You may change any file the task needs."];
  if (scope.forbiddenGlobs.length > 0) lines.push(`- Never change files matching: ${scope.forbiddenGlobs.join(", ")}`);
  if (scope.maxFilesToEdit > 0) lines.push(`- Change at most ${scope.maxFilesToEdit} files.`);
  lines.push("- Changes outside this scope are rejected after you submit.");
  return lines.join("\n");
}

function bullets(items: readonly string[]): string {
  return items.map((item) => `- ${item}`).join("\n");
}
