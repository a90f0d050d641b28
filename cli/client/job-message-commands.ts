import { toJson } from "@bufbuild/protobuf";
import { EventSchema, type Event } from "../../gen/pushpals/v1/events_pb.js";
import { clientCommand } from "./client-command.js";
import { EXIT, type ExitCode } from "./exit-codes.js";
import { jobIdArgument } from "./job-id-argument.js";
import { personName } from "./person-name.js";
import { UNARY_CALL } from "./server-connection.js";
import { styleFor } from "./style.js";

export const answerUsage = `pushpals answer <job-id> <answer…> [--json] [--server URL]

Answers the question a running job's agent asked (shown in chat as "? job … asks:");
the agent reads the answer before its next step.`;

export const sendUsage = `pushpals send <job-id> <message…> [--json] [--server URL]

Sends a running job's agent a message, read before its next step (in chat: @job_… message).
While the agent waits on a question, the message is its answer.`;

export const pauseUsage = `pushpals pause <job-id> [--reason TEXT] [--json] [--server URL]

Pauses a running job after its current command; its sandbox and worktree stay and its
budget clock stops. Then: pushpals shell <job-id>, and pushpals resume <job-id> [--finish].`;

export const resumeUsage = `pushpals resume <job-id> [--finish] [--json] [--server URL]

Hands a paused job back to its agent, or with --finish ends it with what is in its
worktree (validated, committed and integrated like the agent's own submission).`;

function printed(event: Event | undefined, json: boolean | undefined, words: string): ExitCode {
  if (json) process.stdout.write(`${JSON.stringify(event ? toJson(EventSchema, event) : {})}\n`);
  else process.stdout.write(`${words}\n`);
  return EXIT.ok;
}

export const answerCommand = clientCommand({
  name: "answer",
  usage: answerUsage,
  options: {},
  positionals: [2, 1000],
  async run({ values, positionals, server }) {
    const jobId = jobIdArgument(positionals[0]);
    const { event } = await server.clients.execution.answerQuestion({ jobId, text: positionals.slice(1).join(" "), author: personName() }, UNARY_CALL);
    return printed(event, values.json, `${styleFor(process.stdout).id(jobId)} has its answer; the agent goes on`);
  },
});

export const sendCommand = clientCommand({
  name: "send",
  usage: sendUsage,
  options: {},
  positionals: [2, 1000],
  async run({ values, positionals, server }) {
    const jobId = jobIdArgument(positionals[0]);
    const { event } = await server.clients.execution.sendToJob({ jobId, text: positionals.slice(1).join(" "), author: personName() }, UNARY_CALL);
    const what = event?.payload.case === "questionAnswered" ? "took it as the answer to its question" : "reads it before its next step";
    return printed(event, values.json, `${styleFor(process.stdout).id(jobId)} ${what}`);
  },
});

export const pauseCommand = clientCommand({
  name: "pause",
  usage: pauseUsage,
  options: { reason: { type: "string" } },
  positionals: [1, 1],
  async run({ values, positionals, server }) {
    const jobId = jobIdArgument(positionals[0]);
    const { event } = await server.clients.execution.pauseJob({ jobId, author: personName(), reason: values.reason ?? "" }, UNARY_CALL);
    return printed(
      event,
      values.json,
      `${styleFor(process.stdout).id(jobId)} pauses after its current command; pushpals shell ${jobId} runs commands in it, pushpals resume ${jobId} hands it back`,
    );
  },
});

export const resumeCommand = clientCommand({
  name: "resume",
  usage: resumeUsage,
  options: { finish: { type: "boolean" } },
  positionals: [1, 1],
  async run({ values, positionals, server }) {
    const jobId = jobIdArgument(positionals[0]);
    const finish = values.finish === true;
    const { event } = await server.clients.execution.resumeJob({ jobId, author: personName(), finish }, UNARY_CALL);
    return printed(event, values.json, `${styleFor(process.stdout).id(jobId)} ${finish ? "finishes with what is in its worktree" : "is back with its agent"}`);
  },
});
