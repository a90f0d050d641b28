import picomatch from "picomatch";
import type { WriteScope } from "../../gen/pushpals/v1/task_pb.js";
import { evaluatePolicy, policyMessage, type ChangeEntry, type ChangePolicy } from "../../shared/policy/index.js";

export type ScopeVerdict = { ok: true } | { ok: false; message: string; paths: string[] };

/**
 * The operator's [policy] first, then the plan's write scope on top: a plan can only narrow what
 * the operator allows, never widen it (a plan whose write_globs name .github/** still cannot
 * write a workflow).
 */
export function checkChange(entries: readonly ChangeEntry[], policy: ChangePolicy, scope: WriteScope | undefined): ScopeVerdict {
  const verdict = evaluatePolicy(entries, policy);
  if (!verdict.ok) {
    return { ok: false, message: policyMessage(verdict.violations, "nothing was committed"), paths: [...new Set(verdict.violations.flatMap((v) => v.paths))] };
  }
  return checkScope(entries, scope);
}

/** How many paths one message names before it says "and N more". */
const NAMED_PATHS = 20;

/**
 * Checks a job's change against its plan's write scope: writing at all (write_allowed), where
 * (write_globs; empty means anywhere), where never (forbidden_globs, which win over write_globs)
 * and how many files (max_files_to_edit; 0 means no limit). A plan without a scope restricts
 * nothing. Globs are picomatch globs relative to the repository root; dot files match like any.
 */
export function checkScope(changes: readonly { path: string }[], scope: WriteScope | undefined): ScopeVerdict {
  if (!scope || changes.length === 0) return { ok: true };
  const paths = changes.map((change) => change.path);
  const problems: string[] = [];
  const offending = new Set<string>();
  const flag = (problem: string, which: string[]) => {
    problems.push(`${problem}: ${named(which)}`);
    which.forEach((path) => offending.add(path));
  };

  if (!scope.writeAllowed) {
    flag("the plan allows no writes (write_allowed is false) but the job changed", paths);
  } else {
    if (scope.writeGlobs.length > 0) {
      const allowed = matcher(scope.writeGlobs);
      const outside = paths.filter((path) => !allowed(path));
      if (outside.length > 0) flag(`outside write_globs [${scope.writeGlobs.join(", ")}]`, outside);
    }
    if (scope.forbiddenGlobs.length > 0) {
      const forbidden = matcher(scope.forbiddenGlobs);
      const inside = paths.filter((path) => forbidden(path));
      if (inside.length > 0) flag(`inside forbidden_globs [${scope.forbiddenGlobs.join(", ")}]`, inside);
    }
    if (scope.maxFilesToEdit > 0 && paths.length > scope.maxFilesToEdit) {
      flag(`${paths.length} files changed but max_files_to_edit is ${scope.maxFilesToEdit}`, paths);
    }
  }
  if (problems.length === 0) return { ok: true };
  return {
    ok: false,
    message: `the change breaks the plan's write scope — ${problems.join("; ")}. Nothing was committed; narrow the change or widen the plan's scope`,
    paths: [...offending],
  };
}

/** "dir/" means everything under dir. */
function matcher(globs: readonly string[]): (path: string) => boolean {
  return picomatch(
    globs.map((glob) => (glob.endsWith("/") ? `${glob}**` : glob)),
    { dot: true },
  );
}

function named(paths: string[]): string {
  const shown = paths.slice(0, NAMED_PATHS).join(", ");
  return paths.length > NAMED_PATHS ? `${shown} and ${paths.length - NAMED_PATHS} more` : shown;
}
