import { toJson } from "@bufbuild/protobuf";
import { ItemStatus } from "../../gen/pushpals/v1/common_pb.js";
import { QueueItemSchema } from "../../gen/pushpals/v1/items_pb.js";
import { ITEM_ID } from "../../shared/ids.js";
import { clientCommand } from "./client-command.js";
import { EXIT, usageError } from "./exit-codes.js";
import { statusWord } from "./format.js";
import { UNARY_CALL } from "./server-connection.js";
import { styleFor } from "./style.js";

export const cancelUsage = `pushpals cancel <job-or-request-id> [--reason TEXT] [--json] [--server URL]

Cancels a waiting item at once; a running one is asked to stop (its worker
stops it at its next heartbeat) and ends as failed or cancelled.`;

export const cancelCommand = clientCommand({
  name: "cancel",
  usage: cancelUsage,
  options: { reason: { type: "string" } },
  positionals: [1, 1],
  async run({ values, positionals, server }) {
    const itemId = positionals[0] ?? "";
    if (!ITEM_ID.test(itemId)) {
      throw usageError(`"${itemId}" is not a job, request or completion id (job_, req_ or cmp_ and 26 characters); see \`pushpals jobs\``);
    }
    const reason = values.reason ?? `cancelled from the command line by ${process.env.USER || "a user"}`;
    const { item } = await server.clients.queues.cancel({ itemId, reason }, UNARY_CALL);
    if (!item) throw new Error(`the server answered Cancel for ${itemId} without the item`);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(toJson(QueueItemSchema, item))}\n`);
      return EXIT.ok;
    }
    const style = styleFor(process.stdout);
    const message =
      item.status === ItemStatus.CLAIMED
        ? `${style.id(item.id)} ${style.warn("cancel requested")}: it is running on ${item.claimedBy || "a worker"}, which stops it at its next heartbeat`
        : `${style.id(item.id)} ${statusWord(item.status)}`;
    process.stdout.write(`${message}\n`);
    return EXIT.ok;
  },
});
