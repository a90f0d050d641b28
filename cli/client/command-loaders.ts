export type Command = (args: string[]) => Promise<void>;

/**
 * The terminal client's commands, for cli/main.ts's table: each loads only its own module when
 * it runs (`pushpals status` should not pay for the chat view or the approvals answerer).
 */
export const clientCommandLoaders: Record<string, () => Promise<Command>> = {
  chat: async () => (await import("./chat-command.js")).chatCommand,
  status: async () => (await import("./status-command.js")).statusCommand,
  jobs: async () => (await import("./jobs-command.js")).jobsCommand,
  logs: async () => (await import("./logs-command.js")).logsCommand,
  cancel: async () => (await import("./cancel-command.js")).cancelCommand,
  sessions: async () => (await import("./sessions-command.js")).sessionsCommand,
  answer: async () => (await import("./job-message-commands.js")).answerCommand,
  send: async () => (await import("./job-message-commands.js")).sendCommand,
  pause: async () => (await import("./job-message-commands.js")).pauseCommand,
  resume: async () => (await import("./job-message-commands.js")).resumeCommand,
  shell: async () => (await import("./shell-command.js")).shellCommand,
  approvals: async () => (await import("./approvals-command.js")).approvalsCommand,
  approve: async () => (await import("./answer-commands.js")).approveCommand,
  deny: async () => (await import("./answer-commands.js")).denyCommand,
  autonomy: async () => (await import("./autonomy-command.js")).autonomyCommand,
};
