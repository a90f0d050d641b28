import { policySection, type PolicySection } from "../config/sections/policy.js";

/** The operator's change policy, resolved from [policy]: what both front ends evaluate against. */
export interface ChangePolicy {
  /** forbidden_globs and extra_forbidden_globs together. */
  forbiddenGlobs: readonly string[];
  symlinks: PolicySection["symlinks"];
  allowGitlinks: boolean;
  maxFileBytes: number;
  maxChangeBytes: number;
  maxChangedFiles: number;
}

export function changePolicy(section: PolicySection): ChangePolicy {
  return {
    forbiddenGlobs: [...new Set([...section.forbiddenGlobs, ...section.extraForbiddenGlobs])],
    symlinks: section.symlinks,
    allowGitlinks: section.allowGitlinks,
    maxFileBytes: section.maxFileBytes,
    maxChangeBytes: section.maxChangeBytes,
    maxChangedFiles: section.maxChangedFiles,
  };
}

/** [policy] as configs/default.toml leaves it. */
export function defaultChangePolicy(): ChangePolicy {
  return changePolicy(policySection.parse({}));
}
