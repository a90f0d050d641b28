/** What one model reply asks for: its reasoning and the one command to run. */
export type ParsedReply = { ok: true; thought: string; command: string } | { ok: false; thought: string; problem: string };

/** A fence opening a shell block, at the start of a line, up to a closing fence at the start of a line. */
const FENCED_BLOCK = /(?<=^|\n)[ \t]*```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n([\s\S]*?)(?<=\n)[ \t]*```/g;
/** Blocks in other languages (a diff, some JSON) are prose, not commands. */
const SHELL_LANGUAGES = new Set(["", "bash", "sh", "shell"]);

/**
 * The model must put exactly one command in one fenced shell block; anything else is a
 * format error whose `problem` says exactly what was wrong, to send back.
 */
export function parseAction(reply: string, maxReplyChars: number): ParsedReply {
  if (reply.trim() === "") return { ok: false, thought: "", problem: "your reply was empty." };
  if (reply.length > maxReplyChars) {
    return {
      ok: false,
      thought: "",
      problem: `your reply was ${reply.length} characters long, more than the ${maxReplyChars} allowed; keep your reasoning short and put large file contents in the command that writes them.`,
    };
  }
  const blocks = [...reply.matchAll(FENCED_BLOCK)].filter((m) => SHELL_LANGUAGES.has(m[1]!.toLowerCase()));
  const thought = blocks.reduce((text, block) => text.replace(block[0], "\n"), reply).trim();
  if (blocks.length === 0) {
    return { ok: false, thought, problem: "it holds no ```bash code block, so there was no command to run." };
  }
  if (blocks.length > 1) {
    return { ok: false, thought, problem: `it holds ${blocks.length} \`\`\`bash code blocks; exactly one command per reply is allowed, so none was run.` };
  }
  const command = blocks[0]![2]!.trim();
  if (command === "") return { ok: false, thought, problem: "its code block is empty." };
  if (command.includes("\0")) return { ok: false, thought, problem: "its command holds a NUL byte, which no shell accepts." };
  return { ok: true, thought, command };
}
