import { toJson } from "@bufbuild/protobuf";
import { ListApprovalsResponseSchema } from "../../gen/pushpals/v1/approvals_pb.js";
import { kindWord, statusWords } from "./approvals/approval-words.js";
import { clientCommand } from "./client-command.js";
import { EXIT } from "./exit-codes.js";
import { ageOf, oneLine } from "./format.js";
import { pageSizeFlag } from "./number-flags.js";
import { UNARY_CALL } from "./server-connection.js";
import { styleFor } from "./style.js";
import { renderTable } from "./table.js";

export const approvalsUsage = `pushpals approvals [--all] [--session ID] [--limit N] [--json] [--server URL]

Lists approval requests waiting for a person, oldest first (--all adds the
answered ones after them). Answer with \`pushpals approve <id>\` or
\`pushpals deny <id> -m "why not"\`.`;

export const approvalsCommand = clientCommand({
  name: "approvals",
  usage: approvalsUsage,
  options: { all: { type: "boolean" }, session: { type: "string" }, limit: { type: "string" } },
  async run({ values, server }) {
    const pageSize = pageSizeFlag("--limit", values.limit, 50);
    const response = await server.clients.approvals.listApprovals({ pendingOnly: values.all !== true, sessionId: values.session ?? "", pageSize }, UNARY_CALL);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(toJson(ListApprovalsResponseSchema, response))}\n`);
      return EXIT.ok;
    }
    if (response.approvals.length === 0) {
      process.stdout.write(values.all ? "no approval requests yet\n" : "nothing waits for approval (pass --all to see answered requests)\n");
      return EXIT.ok;
    }
    const style = styleFor(process.stdout);
    const rows = response.approvals.map((a) => [a.id, kindWord(a.kind), statusWords(a), ageOf(a.createdAt), oneLine(a.subject, 70), oneLine(a.rule, 50)]);
    const lines = renderTable(["APPROVAL", "KIND", "STATUS", "ASKED", "QUESTION", "WHY"], rows, (_row, column, cell) => (column === 0 ? style.id(cell) : cell));
    process.stdout.write(`${lines.join("\n")}\n`);
    if (response.nextPageToken) process.stdout.write(style.dim("(more requests exist; pass --limit to see more)\n"));
    return EXIT.ok;
  },
});
