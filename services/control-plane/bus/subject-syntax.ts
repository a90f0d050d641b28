import { errorMessage, invalidArgument } from "../../../shared/errors.js";

/**
 * NATS subject syntax, checked the same way for both buses so a subject that works
 * on the in-process bus also works on NATS (and fails the same way when it does not).
 * Tokens are separated by '.', may not be empty or contain whitespace; in a
 * subscription pattern '*' is one whole token and '>' the whole tail.
 */
const WHITESPACE = /\s/;

/** A pattern split into tokens, ready for matching. */
export interface SubjectPattern {
  readonly tokens: readonly string[];
  readonly literal: boolean;
}

export function parsePattern(pattern: string): SubjectPattern {
  const tokens = splitTokens(pattern, "subject");
  tokens.forEach((token, index) => {
    if (token === "*") return;
    if (token === ">") {
      if (index !== tokens.length - 1) {
        throw invalidArgument("subject", `'>' must be the last token in "${pattern}"; use '*' for one token in the middle`);
      }
      return;
    }
    rejectPartialWildcard(token, pattern);
  });
  return { tokens, literal: tokens.every((t) => t !== "*" && t !== ">") };
}

/** Why a subject cannot be published on, or undefined when it can. */
export function publishSubjectProblem(subject: string): string | undefined {
  try {
    const { literal } = parsePattern(subject);
    return literal ? undefined : `"${subject}" has a wildcard; publish on a concrete subject`;
  } catch (error) {
    return errorMessage(error);
  }
}

export function matches(pattern: SubjectPattern, subjectTokens: readonly string[]): boolean {
  const { tokens } = pattern;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === ">") return subjectTokens.length > i;
    if (i >= subjectTokens.length) return false;
    if (token !== "*" && token !== subjectTokens[i]) return false;
  }
  return tokens.length === subjectTokens.length;
}

function splitTokens(subject: string, field: string): string[] {
  if (subject.length === 0) throw invalidArgument(field, "must not be empty; use the helpers in bus/subjects.ts");
  if (WHITESPACE.test(subject)) throw invalidArgument(field, `"${subject}" contains whitespace; subjects are '.'-separated tokens`);
  const tokens = subject.split(".");
  if (tokens.some((t) => t.length === 0)) {
    throw invalidArgument(field, `"${subject}" has an empty token (leading, trailing or doubled '.'); check the ids put into it`);
  }
  return tokens;
}

function rejectPartialWildcard(token: string, pattern: string): void {
  if (token.includes("*") || token.includes(">")) {
    throw invalidArgument("subject", `token "${token}" in "${pattern}" mixes a wildcard with text; wildcards must be whole tokens`);
  }
}
