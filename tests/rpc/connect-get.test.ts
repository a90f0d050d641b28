import { create, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GetSessionRequestSchema } from "../../gen/pushpals/v1/sessions_pb.js";
import { SESSION_ID, startTestServer, type TestServer } from "./support/test-server.js";

let harness: TestServer;
beforeAll(async () => {
  harness = await startTestServer();
});
afterAll(() => harness.server.close());

const get = (query: string) => fetch(`${harness.url}/pushpals.v1.SessionService/GetSession?connect=v1&${query}`);

describe("Connect GET requests", () => {
  const valid = Buffer.from(toBinary(GetSessionRequestSchema, create(GetSessionRequestSchema, { sessionId: SESSION_ID })));

  it("answer a well-formed message, base64 standard or URL-safe, padded or not", async () => {
    for (const message of [valid.toString("base64"), valid.toString("base64url")]) {
      const response = await get(`encoding=proto&base64=1&message=${encodeURIComponent(message)}`);
      expect(response.status).toBe(200);
    }
    const json = await get(`encoding=json&message=${encodeURIComponent(JSON.stringify({ sessionId: SESSION_ID }))}`);
    expect(json.status).toBe(200);
  });

  it.each(["!!!", "AAAA%25%25", "A", "ab$d"])("refuse a message that is not base64 (%s) as invalid_argument, not internal", async (message) => {
    const response = await get(`encoding=proto&base64=1&message=${message}`);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ code: "invalid_argument", message: expect.stringMatching(/^message: is not valid base64/) });
  });

  it("refuse a message that is not JSON as invalid_argument", async () => {
    const response = await get("encoding=json&message=%7Bnot-json");
    expect(response.status).toBe(400);
    expect(((await response.json()) as { code: string }).code).toBe("invalid_argument");
  });
});
