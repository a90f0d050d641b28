import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatService } from "../../gen/pushpals/v1/chat_pb.js";
import { AssistantMessageSchema } from "../../gen/pushpals/v1/events_pb.js";
import { IntegrationService } from "../../gen/pushpals/v1/integration_pb.js";
import { createTransport } from "../../shared/clients.js";
import { createLogger } from "../../shared/log.js";
import { startRpcServer, type RpcServer } from "../../shared/rpc/server.js";
import { startTestControlPlane, type TestControlPlane } from "../support/control-plane.js";
import { MessageSource } from "../../gen/pushpals/v1/kinds_pb.js";

/** Mesh mode: clients reach services in other processes through the control plane's one URL. */
describe("forwarding mesh services through the control plane", () => {
  let chat: RpcServer;
  let cp: TestControlPlane;
  const seen: { text: string; authorization: string | null }[] = [];

  beforeAll(async () => {
    chat = await startRpcServer({
      host: "127.0.0.1",
      port: 0,
      maxRequestBytes: 1 << 20,
      shutdownGraceMs: 1000,
      logger: createLogger("test-chat"),
      authToken: "s3cret-s3cret-s3cret",
      register: (router) =>
        router.service(ChatService, {
          send(req, ctx) {
            seen.push({ text: req.text, authorization: ctx.requestHeader.get("authorization") });
            if (req.text === "fail") throw new ConnectError("chat says no", Code.FailedPrecondition);
            return { messageSeq: 7n, reply: create(AssistantMessageSchema, { text: `echo: ${req.text}`, source: MessageSource.CHAT }) };
          },
        }),
    });
    cp = await startTestControlPlane({ overrides: { "mesh.chatUrl": chat.url, "server.authToken": "s3cret-s3cret-s3cret" } });
  });
  afterAll(async () => {
    await cp?.stop();
    await chat?.close();
  });

  it("forwards a call, with the caller's token, and answers with the service's reply", async () => {
    const client = createClient(ChatService, createTransport(cp.url, { token: "s3cret-s3cret-s3cret" }));
    const res = await client.send({ sessionId: "ses_01JD0000000000000000000000", text: "hello" });
    expect(res.reply?.text).toBe("echo: hello");
    expect(res.messageSeq).toBe(7n);
    expect(seen.at(-1)).toEqual({ text: "hello", authorization: "Bearer s3cret-s3cret-s3cret" });
  });

  it("passes the service's errors through with their code", async () => {
    const client = createClient(ChatService, createTransport(cp.url, { token: "s3cret-s3cret-s3cret" }));
    await expect(client.send({ sessionId: "ses_01JD0000000000000000000000", text: "fail" })).rejects.toMatchObject({ code: Code.FailedPrecondition });
  });

  it("still refuses a caller without the token at the control plane", async () => {
    const client = createClient(ChatService, createTransport(cp.url));
    await expect(client.send({ sessionId: "ses_01JD0000000000000000000000", text: "sneaky" })).rejects.toMatchObject({ code: Code.Unauthenticated });
    expect(seen.map((s) => s.text)).not.toContain("sneaky");
  });

  it("does not serve services that are not configured", async () => {
    const client = createClient(IntegrationService, createTransport(cp.url));
    await expect(client.getIntegrationStatus({})).rejects.toMatchObject({ code: Code.Unimplemented });
  });
});
