/**
 * Settings every host git runs with, given as `-c` so they win over any config file
 * (command-line settings are read last). Each one keeps git from starting a program that a
 * repository's config, hooks or attributes could name: a job without isolation can write the
 * person's .git, and the next git PushPals runs on the host would run that program with
 * PushPals' rights. git-config(1) (git 2.39), key by key, for what makes git run a program:
 *
 * Switched off here, whatever any config says:
 * - core.fsmonitor: a hook program run by every command that reads the index (status, add, …).
 * - core.hooksPath=/dev/null: no hook runs (pre-commit, post-checkout, reference-transaction,
 *   pre-push, post-index-change, …); /dev/null is no directory, so no hook file is found there.
 * - protocol.ext.allow / protocol.fd.allow = never: the ext:: transport runs its URL as a
 *   command (git's default is already "never", but a repository may set "always").
 * - core.pager / GIT_PAGER = cat: pagers only start on a terminal, which host git never has.
 * - core.editor, sequence.editor (and GIT_EDITOR, GIT_SEQUENCE_EDITOR) = false: nothing PushPals
 *   runs opens an editor; one that tried fails at once instead of waiting on a program.
 * - core.askPass empty: only the askpass PushPals itself passes (GIT_ASKPASS, which git asks
 *   before core.askPass) answers a credential prompt; without one git fails, it does not ask a
 *   program the repository names.
 * - commit.gpgSign, tag.gpgSign, push.gpgSign, log.showSignature, merge.verifySignatures = false:
 *   signing and verifying run gpg.program / gpg.ssh.program (which the repository may name).
 * - init.templateDir empty: `init` and `clone` copy no template (hooks among them) into a new repository.
 * - submodule.recurse, fetch.recurseSubmodules, push.recurseSubmodules off: git would otherwise run
 *   in submodule repositories, whose own config is not looked at here.
 * - advice.detachedHead off: the runner and integration work on detached HEADs on purpose.
 *
 * Defined by the repository, replaced per call (see repository-programs.ts, which reads the
 * repository's own config scopes first, because these keys name drivers or remotes):
 * filter.<driver>.clean/smudge/process, diff.<driver>.command/textconv, merge.<driver>.driver,
 * diff.external, remote.<name>.uploadpack/receivepack/vcs, credential[.<url>].helper,
 * core.sshCommand, core.gitProxy, core.alternateRefsCommand, gpg[.<format>].program,
 * gpg.ssh.defaultKeyCommand.
 *
 * Not reachable from the commands PushPals runs, so not set: pager.<cmd> and alias.* (no terminal;
 * an alias never replaces a built-in command), trailer.<token>.cmd (only interpret-trailers and
 * commit --trailer run it), mergetool/difftool/sendemail/imap/web/man programs (those commands are
 * never run), uploadpack.packObjectsHook (git reads it only from system and global config, never a
 * repository's). safe.directory is left as it is: git honours it only from system and global
 * config, and widening it would let git work in repositories another user owns.
 */
export const SAFE_CONFIG: readonly string[] = [
  "core.fsmonitor=false",
  "core.hooksPath=/dev/null",
  "protocol.ext.allow=never",
  "protocol.fd.allow=never",
  "core.pager=cat",
  "core.editor=false",
  "sequence.editor=false",
  "core.askPass=",
  "commit.gpgSign=false",
  "tag.gpgSign=false",
  "push.gpgSign=false",
  "log.showSignature=false",
  "merge.verifySignatures=false",
  "init.templateDir=",
  "submodule.recurse=false",
  "fetch.recurseSubmodules=false",
  "push.recurseSubmodules=no",
  "advice.detachedHead=false",
];

/** The environment side of the same settings: git asks these variables before its config. */
export const SAFE_ENVIRONMENT: Readonly<Record<string, string>> = {
  GIT_PAGER: "cat",
  GIT_EDITOR: "false",
  GIT_SEQUENCE_EDITOR: "false",
  GIT_TERMINAL_PROMPT: "0",
  LC_ALL: "C",
  LANG: "C",
};
