import { CONFIG_VARIABLES } from "./config-variables.js";

/** Variables PushPals reads outside the config (CONFIG_VARIABLES): the CLI's own, and the logger's. */
const OPERATOR_VARIABLES = ["PUSHPALS_CONFIG_DIR", "PUSHPALS_LOG_LEVEL", "PUSHPALS_LOG_FORMAT", "PUSHPALS_SERVER_URL", "PUSHPALS_CI"];

/**
 * Variables PushPals sets itself for the commands it starts (the agent CLI inside a sandbox,
 * git's askpass helper, the sandbox marker): a nested pushpals sees them, and they are not typos.
 */
const INTERNAL_VARIABLES = [
  "PUSHPALS_SANDBOX_ID",
  "PUSHPALS_SUBMIT",
  "PUSHPALS_SUBMITTED",
  "PUSHPALS_GIVE_UP",
  "PUSHPALS_MODEL",
  "PUSHPALS_MODEL_URL",
  "PUSHPALS_MODEL_TOKEN",
  "PUSHPALS_MODEL_SOCKET",
  "PUSHPALS_INSTRUCTION_FILE",
  "PUSHPALS_GIT_USERNAME",
  "PUSHPALS_GIT_TOKEN",
];

/** Test and benchmark switches, each family by its prefix. */
const TEST_PREFIXES = ["PUSHPALS_TEST_", "PUSHPALS_BENCH_", "PUSHPALS_E2E_", "PUSHPALS_K8S_"];

/** What Kubernetes injects for a Service named pushpals-*: PUSHPALS_API_SERVICE_HOST, PUSHPALS_API_PORT_3001_TCP_ADDR, … */
const KUBERNETES_SERVICE_VARIABLE = /_SERVICE_(HOST|PORT(_[A-Z0-9_]+)?)$|_PORT(_\d+_(TCP|UDP|SCTP)(_PROTO|_PORT|_ADDR)?)?$/;

export const KNOWN_VARIABLES: ReadonlySet<string> = new Set([...CONFIG_VARIABLES, ...OPERATOR_VARIABLES, ...INTERNAL_VARIABLES]);

export interface UnknownVariable {
  name: string;
  /** The closest known name, when it is close enough to be the one meant. */
  suggestion?: string;
}

/** PUSHPALS_* variables in `env` that nothing reads: most likely typos, which would otherwise be ignored in silence. */
export function unknownVariables(env: NodeJS.ProcessEnv): UnknownVariable[] {
  return Object.keys(env)
    .filter((name) => name.startsWith("PUSHPALS_") && !KNOWN_VARIABLES.has(name))
    .filter((name) => !TEST_PREFIXES.some((prefix) => name.startsWith(prefix)) && !KUBERNETES_SERVICE_VARIABLE.test(name))
    .sort()
    .map((name) => {
      const suggestion = closest(name);
      return suggestion ? { name, suggestion } : { name };
    });
}

/** "PUSHPALS_LLM_MODLE is not a PushPals variable (did you mean PUSHPALS_LLM_MODEL?); it is ignored" */
export function describeUnknownVariable({ name, suggestion }: UnknownVariable): string {
  const hint = suggestion ? ` (did you mean ${suggestion}?)` : "; the variables PushPals reads are listed in the README";
  return `${name} is not a PushPals variable${hint}; it is ignored`;
}

function closest(name: string): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const known of KNOWN_VARIABLES) {
    const distance = editDistance(name, known);
    if (!best || distance < best.distance) best = { name: known, distance };
  }
  // The part after PUSHPALS_ decides: a third of it may differ (a swapped pair is two edits).
  const limit = Math.max(2, Math.floor((name.length - "PUSHPALS_".length) / 3));
  return best && best.distance <= limit ? best.name : undefined;
}

/** Levenshtein distance, one row at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
