/** What chat says to "help": what it answers itself and what becomes work. */
export const HELP_TEXT = [
  "I am PushPals. Tell me what to change in this repository and I queue it: the planner turns it into a plan, a coding agent does the work in a sandbox, and the result is merged into the integration branch.",
  "",
  "Answered at once, without a model:",
  '  /status (or "what is running?", "where is my request?", "last merge?") — running jobs, your requests\' queue positions and ETAs, the last merge',
  "  /help — this text",
  "Answered by the chat model, no job:",
  "  /ask <question> — a question about code or PushPals",
  "Anything else becomes a request. Questions are planned first, large refactors run in the background.",
].join("\n");
