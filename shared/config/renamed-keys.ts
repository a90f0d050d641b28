/**
 * Config names that changed, still read for one release so an operator's file keeps working;
 * each use is reported once with the new name, so the file can be fixed before the old one goes.
 */
type Tree = { [key: string]: unknown };

/** `[supervisor]` was the runner's section before the supervision tree and the runner got their own names. */
const RENAMED_SECTIONS: Record<string, string> = { supervisor: "runner" };
/** `integration.check_driver = "supervisor"` meant "the runner's driver". */
const RENAMED_CHECK_DRIVER: Record<string, string> = { supervisor: "runner" };

/** Rewrites one config layer (a file, the environment, the flags) to today's names, in place. */
export function renameDeprecatedKeys(tree: Tree, source: string, warn: (message: string) => void): Tree {
  for (const [old, now] of Object.entries(RENAMED_SECTIONS)) {
    if (!(old in tree)) continue;
    const oldSection = tree[old];
    delete tree[old];
    const current = tree[now];
    // Both names in one layer: the new one wins key by key, so a half-migrated file still means what it says.
    tree[now] = isTree(oldSection) && isTree(current) ? { ...oldSection, ...current } : (current ?? oldSection);
    warn(`config: [${old}] (from ${source}) is now [${now}]; rename the section (the old name is read for one more release)`);
  }
  const integration = tree.integration;
  if (isTree(integration) && typeof integration.checkDriver === "string") {
    const now = RENAMED_CHECK_DRIVER[integration.checkDriver];
    if (now) {
      warn(`config: integration.check_driver = "${integration.checkDriver}" (from ${source}) is now "${now}"; change the value (the old one is read for one more release)`);
      integration.checkDriver = now;
    }
  }
  return tree;
}

/** Node's own channel for deprecations: printed once per message, silenced by --no-deprecation. */
export function emitDeprecation(message: string): void {
  process.emitWarning(message, { type: "DeprecationWarning", code: "PUSHPALS_CONFIG_RENAMED" });
}

function isTree(value: unknown): value is Tree {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
