import { toJson } from "@bufbuild/protobuf";
import { AutonomyMode, GetAutonomyStatusResponseSchema, SetAutonomyModeResponseSchema } from "../../gen/pushpals/v1/autonomy_pb.js";
import { durationFromMs } from "../../shared/time.js";
import { autonomyStatusText } from "./autonomy/autonomy-status-text.js";
import { freezeDurationMs } from "./autonomy/freeze-duration.js";
import { clientCommand } from "./client-command.js";
import { CliFailure, EXIT } from "./exit-codes.js";
import { personName } from "./person-name.js";
import { UNARY_CALL } from "./server-connection.js";
import { styleFor } from "./style.js";

export const autonomyUsage = `pushpals autonomy on|off|freeze <duration>|status [--json] [--server URL]

Turns the autonomy loop on or off for every planner, freezes it for a while
(30m, 2h, 1d), or shows its state: the switch, the dispatcher, the gates of the
last pass and why one blocked, candidates with their scores, objectives with
their outcomes, and the learned priors. \`off\` is the kill switch: pending and
running autonomous work is cancelled at once.`;

export const autonomyCommand = clientCommand({
  name: "autonomy",
  usage: autonomyUsage,
  options: {},
  positionals: [1, 2],
  async run({ values, positionals, server }) {
    const [action, argument] = positionals as [string, string | undefined];
    const { autonomy } = server.clients;
    if (action === "status") {
      if (argument !== undefined) throw new CliFailure(`status takes no argument\n\n${autonomyUsage}`, EXIT.usage);
      const status = await autonomy.getAutonomyStatus({ objectivesLimit: 20 }, UNARY_CALL);
      process.stdout.write(values.json ? `${JSON.stringify(toJson(GetAutonomyStatusResponseSchema, status))}\n` : `${autonomyStatusText(status, styleFor(process.stdout))}\n`);
      return EXIT.ok;
    }
    const mode = { on: AutonomyMode.ON, off: AutonomyMode.OFF, freeze: AutonomyMode.FROZEN }[action];
    if (mode === undefined) throw new CliFailure(`unknown action "${action}"; use on, off, freeze <duration> or status\n\n${autonomyUsage}`, EXIT.usage);
    if (mode === AutonomyMode.FROZEN && argument === undefined) throw new CliFailure(`freeze needs a duration, e.g. pushpals autonomy freeze 2h`, EXIT.usage);
    if (mode !== AutonomyMode.FROZEN && argument !== undefined) throw new CliFailure(`${action} takes no argument\n\n${autonomyUsage}`, EXIT.usage);
    const freezeFor = argument === undefined ? undefined : durationFromMs(freezeDurationMs(argument));
    const changed = await autonomy.setAutonomyMode({ mode, freezeFor, by: personName() }, UNARY_CALL);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(toJson(SetAutonomyModeResponseSchema, changed))}\n`);
      return EXIT.ok;
    }
    const cancelled = changed.cancelledItemIds.length;
    const what = mode === AutonomyMode.FROZEN ? `frozen for ${argument}` : action;
    process.stdout.write(`autonomy ${what}${cancelled > 0 ? `; cancelled ${cancelled} autonomous item(s): ${changed.cancelledItemIds.join(", ")}` : ""}\n`);
    return EXIT.ok;
  },
});
