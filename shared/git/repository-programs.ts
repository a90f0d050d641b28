/**
 * Programs a repository's own config names for git to run: filter, diff and merge drivers
 * (chosen by .gitattributes or info/attributes), remote programs, credential helpers, the ssh
 * command, the git:// proxy. Unlike the settings in safe-config.ts these keys carry a name
 * (a driver, a remote, a URL) that is only known from the repository, so each call first lists
 * them (`git config --show-scope`) and replaces every one the repository itself defines (its
 * "local" .git/config and "worktree" config.worktree scopes, includes counted as the file that
 * includes them) with the operator's own value from system or global config, or else an inert
 * one. The operator's drivers (git-lfs in ~/.gitconfig, say) keep working; a planted
 * `filter.x.clean` in .git/config never runs.
 */

/** What the listing asks git for: every key below, whatever file defines it. */
export const PROGRAM_KEYS_PATTERN =
  "^(filter|diff|merge)\\..+\\.(clean|smudge|process|required|command|textconv|driver)$|^diff\\.external$|^remote\\..+\\.(uploadpack|receivepack)$|^credential\\.(.+\\.)?helper$|^core\\.(sshcommand|gitproxy|alternaterefscommand)$|^gpg\\.(.+\\.)?program$|^gpg\\.ssh\\.defaultkeycommand$";

/**
 * The builtin three-way text merge, as an external driver: `git merge-file` merges %O→%B into
 * %A in place and exits with the number of conflicts, which is the driver contract. A path whose
 * attributes name a repository-defined driver merges exactly as if that driver did not exist.
 */
const BUILTIN_MERGE = "git merge-file --marker-size=%L %A %O %B";

/**
 * The value each single-valued key gets when the repository defines it and the operator does
 * not. Empty means "no program": git skips an empty filter command, runs no alternate-refs
 * command, and fails clearly ("cannot run") where a diff driver or gpg program were needed
 * (PushPals runs no content diffs and no signing, see safe-config.ts).
 */
const INERT: ReadonlyArray<[RegExp, string]> = [
  [/^filter\..+\.(clean|smudge|process)$/, ""],
  [/^filter\..+\.required$/, "false"],
  [/^diff\..+\.(command|textconv)$/, ""],
  [/^merge\..+\.driver$/, BUILTIN_MERGE],
  [/^diff\.external$/, ""],
  [/^core\.sshcommand$/, "ssh"],
  [/^core\.alternaterefscommand$/, ""],
  [/^gpg\.(.+\.)?program$/, ""],
  [/^gpg\.ssh\.defaultkeycommand$/, ""],
];

export interface ConfigEntry {
  scope: string;
  key: string;
  /** null for a key written without "=" (a boolean true). */
  value: string | null;
}

/** How one call neutralises what the repository defines. */
export interface RepositoryOverrides {
  /** Settings (name, value) given after every config file, so they win. */
  config: Array<[string, string]>;
  /** Variables git asks before its config (GIT_PROXY_COMMAND). */
  env: Record<string, string>;
  /** Options for the subcommand itself, for keys where the first definition wins. */
  uploadPack: boolean;
  receivePack: boolean;
}

const REPOSITORY_SCOPES = new Set(["local", "worktree"]);
const OPERATOR_SCOPES = new Set(["system", "global"]);

/** Parses `git config -z --show-scope --get-regexp`: scope NUL key [LF value] NUL … */
export function parseScopedConfig(output: string): ConfigEntry[] {
  const fields = output.split("\0");
  const entries: ConfigEntry[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const scope = fields[i]!;
    const pair = fields[i + 1]!;
    const newline = pair.indexOf("\n");
    entries.push(newline === -1 ? { scope, key: pair, value: null } : { scope, key: pair.slice(0, newline), value: pair.slice(newline + 1) });
  }
  return entries;
}

export function repositoryOverrides(entries: readonly ConfigEntry[]): RepositoryOverrides {
  const overrides: RepositoryOverrides = { config: [], env: {}, uploadPack: false, receivePack: false };
  const planted = entries.filter((entry) => REPOSITORY_SCOPES.has(entry.scope));
  if (planted.length === 0) return overrides;
  const operators = entries.filter((entry) => OPERATOR_SCOPES.has(entry.scope));
  const operatorValue = (key: string) => operators.findLast((entry) => entry.key === key)?.value;

  const replaced = new Set<string>();
  const inertFilters = new Set<string>();
  for (const { key } of planted) {
    const inert = INERT.find(([pattern]) => pattern.test(key.toLowerCase()))?.[1];
    if (inert === undefined || replaced.has(key)) continue;
    replaced.add(key);
    const own = operatorValue(key);
    overrides.config.push([key, own ?? inert]);
    const filter = /^filter\.(.+)\.(clean|smudge|process)$/.exec(key);
    if (filter && own === undefined) inertFilters.add(filter[1]!);
  }
  // A required filter whose programs are gone would fail every add and checkout of its paths.
  for (const driver of inertFilters) {
    const key = `filter.${driver}.required`;
    if (!replaced.has(key)) overrides.config.push([key, operatorValue(key) ?? "false"]);
  }

  // credential.helper is a list: an empty value clears what came before, then the operator's
  // helpers (URL-scoped ones under their own keys) are added back in their order.
  if (planted.some((entry) => /^credential\.(.+\.)?helper$/.test(entry.key))) {
    overrides.config.push(["credential.helper", ""]);
    for (const entry of operators) if (/^credential\.(.+\.)?helper$/.test(entry.key)) overrides.config.push([entry.key, entry.value ?? ""]);
  }

  // For these the first definition wins (system, global, then the repository), so a later
  // setting cannot replace a planted one: an environment variable or a command option can.
  if (planted.some((entry) => entry.key === "core.gitproxy")) overrides.env.GIT_PROXY_COMMAND = "";
  const firstWins = (variable: string) => planted.some((entry) => entry.key.endsWith(`.${variable}`) && entry.key.startsWith("remote.") && operatorValue(entry.key) === undefined);
  overrides.uploadPack = firstWins("uploadpack");
  overrides.receivePack = firstWins("receivepack");
  return overrides;
}
