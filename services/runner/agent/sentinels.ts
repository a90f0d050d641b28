/** The first output line that tells the environment the agent is done. */
export const SUBMIT_SENTINEL = "PUSHPALS_SUBMIT";
/** The first output line that tells the environment the task cannot be done, followed by why. */
export const GIVE_UP_SENTINEL = "PUSHPALS_GIVE_UP";

/** The first output line that asks the person in the session something, followed by the question. */
export const ASK_SENTINEL = "PUSHPALS_ASK";

/** What may sit between a sentinel and the words after it on its line: `PUSHPALS_GIVE_UP: why`, `... - why`. */
const SEPARATOR = /^[\s:—–-]+/;

/**
 * The words that come with `sentinel` when it opens the first line of `stdout`: the rest of that
 * line and every line below, trimmed ("" when there are none). `undefined` when the first line is
 * anything else; a longer word (`PUSHPALS_SUBMITTED`) is not the sentinel. Both forms the prompts
 * show are one rule here: `echo SENTINEL && echo 'words'` and `echo "SENTINEL words"`.
 */
export function sentinelWords(stdout: string, sentinel: string): string | undefined {
  const newline = stdout.indexOf("\n");
  const first = (newline === -1 ? stdout : stdout.slice(0, newline)).trim();
  if (!first.startsWith(sentinel)) return undefined;
  const rest = first.slice(sentinel.length);
  if (rest !== "" && !SEPARATOR.test(rest)) return undefined;
  const below = newline === -1 ? "" : stdout.slice(newline + 1);
  return [rest.replace(SEPARATOR, ""), below.trim()].filter((part) => part !== "").join("\n");
}
