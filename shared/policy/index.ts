/** The operator's change policy: pure rules over a change's entries, shared by the runner and integration. */
export { kindOfGitMode, type ChangeEntry, type EntryKind } from "./change-entry.js";
export { changePolicy, defaultChangePolicy, type ChangePolicy } from "./change-policy.js";
export { bytes, evaluatePolicy, type PolicyRule, type PolicyVerdict, type PolicyViolation } from "./evaluate-policy.js";
export { policyMessage } from "./policy-message.js";
export { MAX_LINK_TARGET_BYTES, symlinkEscape } from "./symlink-target.js";
export { parseRawDiff, type RawDiffEntry } from "./raw-diff.js";
