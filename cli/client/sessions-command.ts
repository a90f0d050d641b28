import { toJson } from "@bufbuild/protobuf";
import { ListSessionsResponseSchema } from "../../gen/pushpals/v1/sessions_pb.js";
import { clientCommand } from "./client-command.js";
import { EXIT } from "./exit-codes.js";
import { ageOf, oneLine } from "./format.js";
import { pageSizeFlag } from "./number-flags.js";
import { currentRepo } from "./current-repo.js";
import { UNARY_CALL } from "./server-connection.js";
import { readRememberedSession } from "./session-file.js";
import { styleFor } from "./style.js";
import { renderTable } from "./table.js";

export const sessionsUsage = `pushpals sessions [--limit N] [--json] [--server URL]

Lists chat sessions, newest first. The one \`pushpals chat\` uses in this
repository is marked with *.`;

export const sessionsCommand = clientCommand({
  name: "sessions",
  usage: sessionsUsage,
  options: { limit: { type: "string" } },
  async run({ values, server }) {
    const pageSize = pageSizeFlag("--limit", values.limit, 20);
    const response = await server.clients.sessions.listSessions({ pageSize }, UNARY_CALL);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(toJson(ListSessionsResponseSchema, response))}\n`);
      return EXIT.ok;
    }
    if (response.sessions.length === 0) {
      process.stdout.write("no sessions yet; start one with `pushpals chat`\n");
      return EXIT.ok;
    }
    const repo = await currentRepo();
    const current = repo ? await readRememberedSession(repo) : undefined;
    const style = styleFor(process.stdout);
    const rows = response.sessions.map((session) => [
      session.id === current ? "*" : " ",
      session.id,
      oneLine(session.title || "(untitled)", 40),
      String(session.lastSeq),
      ageOf(session.updatedAt),
    ]);
    const lines = renderTable([" ", "SESSION", "TITLE", "EVENTS", "ACTIVE"], rows, (_row, column, cell) => (column === 1 ? style.id(cell) : cell));
    process.stdout.write(`${lines.join("\n")}\n`);
    if (response.nextPageToken) process.stdout.write(style.dim(`(more sessions exist; pass --limit to see more)\n`));
    return EXIT.ok;
  },
});
