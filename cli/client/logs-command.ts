import { toJson } from "@bufbuild/protobuf";
import { ItemStatus, ItemStatusSchema, LogStream } from "../../gen/pushpals/v1/common_pb.js";
import { StreamJobLogsResponseSchema, type StreamJobLogsResponse } from "../../gen/pushpals/v1/execution_pb.js";
import { isId } from "../../shared/ids.js";
import { enumWord } from "../../shared/text/enum-word.js";
import { clientCommand } from "./client-command.js";
import { EXIT, usageError } from "./exit-codes.js";
import { resumeStream } from "./resume-stream.js";
import { styleFor } from "./style.js";

export const logsUsage = `pushpals logs <job-id> [-f] [--json] [--server URL]

Prints a job's output. With -f (--follow) it keeps printing lines as the job
writes them until the job ends, and exits 0 if the job completed, 1 if it
failed, was cancelled or dead-lettered. --json prints one JSON object per line.`;

const FINISHED_WORDS: Partial<Record<ItemStatus, string>> = {
  [ItemStatus.COMPLETED]: "completed",
  [ItemStatus.FAILED]: "failed",
  [ItemStatus.DEAD_LETTER]: "dead-lettered (retries exhausted)",
  [ItemStatus.CANCELLED]: "cancelled",
};

export const logsCommand = clientCommand({
  name: "logs",
  usage: logsUsage,
  options: { follow: { type: "boolean", short: "f" } },
  positionals: [1, 1],
  async run({ values, positionals, server }) {
    const jobId = positionals[0] ?? "";
    if (!isId("job", jobId)) throw usageError(`"${jobId}" is not a job id (job_ and 26 characters); see \`pushpals jobs\``);
    const follow = values.follow === true;
    const style = styleFor(process.stdout);
    const stderrStyle = styleFor(process.stderr);
    const responses = resumeStream<StreamJobLogsResponse>((afterLine, signal) => server.clients.execution.streamJobLogs({ jobId, afterLine, follow }, { signal }), {
      from: 0n,
      cursorOf: (response) => (response.message.case === "line" ? response.message.value.line : undefined),
      reopenOnEnd: follow,
      onReconnect: (attempt, delayMs) => process.stderr.write(stderrStyle.warn(`lost the log stream of ${jobId}; reconnecting in ${delayMs} ms (attempt ${attempt})\n`)),
    });
    for await (const response of responses) {
      if (values.json) {
        process.stdout.write(`${JSON.stringify(toJson(StreamJobLogsResponseSchema, response))}\n`);
      }
      const message = response.message;
      if (message.case === "line" && !values.json) {
        const { stream, text } = message.value;
        process.stdout.write(`${stream === LogStream.SYSTEM ? style.dim(`» ${text}`) : stream === LogStream.STDERR ? style.warn(text) : text}\n`);
      }
      if (message.case === "finishedStatus") {
        const completed = message.value === ItemStatus.COMPLETED;
        if (!values.json)
          process.stderr.write(`${(completed ? stderrStyle.ok : stderrStyle.bad)(`job ${jobId} ${FINISHED_WORDS[message.value] ?? enumWord(ItemStatusSchema, message.value)}`)}\n`);
        return follow && !completed ? EXIT.failed : EXIT.ok;
      }
    }
    return EXIT.ok;
  },
});
