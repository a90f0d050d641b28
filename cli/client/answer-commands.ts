import { toJson } from "@bufbuild/protobuf";
import { ApprovalSchema, type Approval } from "../../gen/pushpals/v1/approvals_pb.js";
import { isId } from "../../shared/ids.js";
import { answererName } from "./approvals/answerer.js";
import { statusWords } from "./approvals/approval-words.js";
import { clientCommand } from "./client-command.js";
import { EXIT, usageError, type ExitCode } from "./exit-codes.js";
import { UNARY_CALL } from "./server-connection.js";
import { styleFor } from "./style.js";

export const approveUsage = `pushpals approve <approval-id> [-m COMMENT] [--json] [--server URL]

Says yes to an approval request (see \`pushpals approvals\`); the waiting work
goes on. Your name ($USER) is recorded as who answered.`;

export const denyUsage = `pushpals deny <approval-id> -m REASON [--json] [--server URL]

Says no to an approval request; the waiting work ends, denied, with REASON.
Your name ($USER) is recorded as who answered.`;

const options = { message: { type: "string", short: "m" } } as const;

function approvalId(positionals: string[]): string {
  const id = positionals[0] ?? "";
  if (!isId("approval", id)) throw usageError(`"${id}" is not an approval id (apr_ and 26 characters); see \`pushpals approvals\``);
  return id;
}

function print(approval: Approval | undefined, json: boolean | undefined): ExitCode {
  if (!approval) throw new Error("the server answered without the approval");
  if (json) {
    process.stdout.write(`${JSON.stringify(toJson(ApprovalSchema, approval))}\n`);
    return EXIT.ok;
  }
  const style = styleFor(process.stdout);
  process.stdout.write(`${style.id(approval.id)} ${statusWords(approval)}${approval.comment ? `: ${approval.comment}` : ""}\n`);
  return EXIT.ok;
}

export const approveCommand = clientCommand({
  name: "approve",
  usage: approveUsage,
  options,
  positionals: [1, 1],
  async run({ values, positionals, server }) {
    const { approval } = await server.clients.approvals.approve({ id: approvalId(positionals), answeredBy: answererName(), comment: values.message ?? "" }, UNARY_CALL);
    return print(approval, values.json);
  },
});

export const denyCommand = clientCommand({
  name: "deny",
  usage: denyUsage,
  options,
  positionals: [1, 1],
  async run({ values, positionals, server }) {
    const id = approvalId(positionals);
    const comment = values.message?.trim() ?? "";
    if (comment === "") throw usageError('deny needs a reason: pushpals deny <id> -m "why not"; the waiting work ends with it');
    const { approval } = await server.clients.approvals.deny({ id, answeredBy: answererName(), comment }, UNARY_CALL);
    return print(approval, values.json);
  },
});
