import { approveCommand, approveUsage, denyCommand, denyUsage } from "./answer-commands.js";
import { approvalsCommand, approvalsUsage } from "./approvals-command.js";
import { cancelCommand, cancelUsage } from "./cancel-command.js";
import { chatCommand, chatUsage } from "./chat-command.js";
import { jobsCommand, jobsUsage } from "./jobs-command.js";
import { logsCommand, logsUsage } from "./logs-command.js";
import { sessionsCommand, sessionsUsage } from "./sessions-command.js";
import { statusCommand, statusUsage } from "./status-command.js";

/** The terminal client's commands, for cli/main.ts's table. */
export const clientCommands: Record<string, (args: string[]) => Promise<void>> = {
  chat: chatCommand,
  status: statusCommand,
  jobs: jobsCommand,
  logs: logsCommand,
  cancel: cancelCommand,
  sessions: sessionsCommand,
  approvals: approvalsCommand,
  approve: approveCommand,
  deny: denyCommand,
};

/** First usage line of each, for the overview `pushpals help` prints. */
export const clientUsageLines: string[] = [chatUsage, statusUsage, jobsUsage, logsUsage, cancelUsage, sessionsUsage, approvalsUsage, approveUsage, denyUsage].map((usage) => usage.split("\n")[0] ?? "");
