import { describeUnknownVariable, unknownVariables } from "../../shared/config/known-variables.js";

/** One line on stderr per PUSHPALS_* variable nothing reads (a typo would otherwise be ignored in silence). */
export function warnOfUnknownVariables(env: NodeJS.ProcessEnv, stderr: NodeJS.WritableStream = process.stderr): void {
  for (const unknown of unknownVariables(env)) stderr.write(`pushpals: warning: ${describeUnknownVariable(unknown)}\n`);
}
