import { Priority } from "../../gen/pushpals/v1/common_pb.js";

/**
 * The priority a request gets from its words, in three simple rules:
 * 1. a large refactor (a sweeping verb and a whole-codebase word) runs in the background;
 * 2. a question (ends with "?" or opens with a question word) is interactive — someone waits;
 * 3. anything else is normal.
 * The refactor rule comes first: "can you rewrite the whole codebase?" is not a quick question.
 */
const SWEEPING = /\b(refactor\w*|rewrite|rewriting|restructure\w*|migrate|migrating|overhaul\w*|moderni[sz]e|reorgani[sz]e|convert)\b/;
const EVERYWHERE = /\b(all|every|entire|whole|everything|everywhere|across|codebase|repo-wide|repository-wide|project-wide)\b/;
const QUESTION_OPENER = /^(what|why|how|where|when|which|who|whose|is|are|does|did|should|explain)\b/;

export function inferPriority(text: string): Priority {
  const plain = text.trim().toLowerCase();
  if (SWEEPING.test(plain) && EVERYWHERE.test(plain)) return Priority.BACKGROUND;
  if (plain.endsWith("?") || QUESTION_OPENER.test(plain)) return Priority.INTERACTIVE;
  return Priority.NORMAL;
}
