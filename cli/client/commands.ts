import { approveCommand, approveUsage, denyCommand, denyUsage } from "./answer-commands.js";
import { approvalsCommand, approvalsUsage } from "./approvals-command.js";
import { autonomyCommand, autonomyUsage } from "./autonomy-command.js";
import { cancelCommand, cancelUsage } from "./cancel-command.js";
import { chatCommand, chatUsage } from "./chat-command.js";
import { jobsCommand, jobsUsage } from "./jobs-command.js";
import { answerCommand, answerUsage, pauseCommand, pauseUsage, resumeCommand, resumeUsage, sendCommand, sendUsage } from "./job-message-commands.js";
import { logsCommand, logsUsage } from "./logs-command.js";
import { shellCommand, shellUsage } from "./shell-command.js";
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
  answer: answerCommand,
  send: sendCommand,
  pause: pauseCommand,
  resume: resumeCommand,
  shell: shellCommand,
  approvals: approvalsCommand,
  approve: approveCommand,
  deny: denyCommand,
  autonomy: autonomyCommand,
};

/** Each one's usage, for the overview `pushpals help` prints and the shell completions. */
export const clientUsages: Record<string, string> = {
  chat: chatUsage,
  status: statusUsage,
  jobs: jobsUsage,
  logs: logsUsage,
  cancel: cancelUsage,
  sessions: sessionsUsage,
  answer: answerUsage,
  send: sendUsage,
  pause: pauseUsage,
  resume: resumeUsage,
  shell: shellUsage,
  approvals: approvalsUsage,
  approve: approveUsage,
  deny: denyUsage,
  autonomy: autonomyUsage,
};
