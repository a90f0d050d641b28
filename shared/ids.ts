import { randomFillSync } from "node:crypto";
import { monotonicFactory } from "ulidx";

/** Every id PushPals mints is a kind prefix, an underscore and a ULID (time-ordered, 26 characters). */
export const ID_PREFIXES = {
  session: "ses",
  request: "req",
  job: "job",
  completion: "cmp",
  artifact: "art",
  lease: "lse",
  approval: "apr",
  objective: "obj",
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

/**
 * ulidx's default PRNG asks the OS for randomness once per character (26 calls an id);
 * this hands out numbers from a block of 4 KiB of crypto randomness refilled as needed.
 */
function bufferedRandom(): () => number {
  const block = new Uint32Array(1024);
  let next = block.length;
  return () => {
    if (next === block.length) {
      randomFillSync(block);
      next = 0;
    }
    return block[next++]! / 0x1_0000_0000;
  };
}

const ulid = monotonicFactory(bufferedRandom());
const ULID = "[0-9A-HJKMNP-TV-Z]{26}";
const patterns = Object.fromEntries(Object.entries(ID_PREFIXES).map(([kind, prefix]) => [kind, new RegExp(`^${prefix}_${ULID}$`)])) as Record<IdKind, RegExp>;

export function newId(kind: IdKind): string {
  return `${ID_PREFIXES[kind]}_${ulid()}`;
}

export function isId(kind: IdKind, value: string): boolean {
  return patterns[kind].test(value);
}

/** Queue item ids carry their queue's prefix. */
export const ITEM_ID = new RegExp(`^(req|job|cmp)_${ULID}$`);

/** Worker ids are chosen by workers: short, lower-case, safe in subjects, branch names and labels. */
export const WORKER_ID = /^[a-z0-9][a-z0-9_.-]{0,62}$/;
