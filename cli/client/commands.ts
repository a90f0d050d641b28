import { approveUsage, denyUsage } from "./answer-commands.js";
import { approvalsUsage } from "./approvals-command.js";
import { autonomyUsage } from "./autonomy-command.js";
import { cancelUsage } from "./cancel-command.js";
import { chatUsage } from "./chat-command.js";
import { jobsUsage } from "./jobs-command.js";
import { answerUsage, pauseUsage, resumeUsage, sendUsage } from "./job-message-commands.js";
import { logsUsage } from "./logs-command.js";
import { shellUsage } from "./shell-command.js";
import { sessionsUsage } from "./sessions-command.js";
import { statusUsage } from "./status-command.js";

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
