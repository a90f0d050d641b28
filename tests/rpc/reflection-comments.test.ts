import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import descriptor from "protobufjs/ext/descriptor/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROTO_DIR } from "./support/clients.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

// Field numbers in google/protobuf/descriptor.proto: the path steps of a source location.
const MESSAGE_TYPE = 4;
const MESSAGE_FIELD = 2;
const SERVICE = 6;
const SERVICE_METHOD = 2;

interface Location {
  path: number[];
  leadingComments?: string;
}
interface NamedFile {
  name: string;
  messageType: { name: string; field: { name: string }[] }[];
  service: { name: string; method: { name: string }[] }[];
  sourceCodeInfo?: { location: Location[] };
}
interface ReflectionResponse {
  fileDescriptorResponse?: { fileDescriptorProto: Buffer[] };
  errorResponse?: { errorMessage: string };
}

let harness: TestServer;
let client: grpc.Client;
let method: grpc.MethodDefinition<object, ReflectionResponse>;

beforeAll(async () => {
  harness = await startTestServer();
  // A client nobody here wrote: grpc-js with the upstream reflection .proto, protobufjs decoding the answers.
  const definition = await protoLoader.load(join(PROTO_DIR, "grpc", "reflection", "v1", "reflection.proto"), { defaults: true, oneofs: true });
  const service = definition["grpc.reflection.v1.ServerReflection"] as grpc.ServiceDefinition;
  method = service["ServerReflectionInfo"] as grpc.MethodDefinition<object, ReflectionResponse>;
  client = new grpc.Client(`127.0.0.1:${harness.server.port}`, grpc.credentials.createInsecure());
});

afterAll(async () => {
  client.close();
  await harness.server.close();
});

async function fileContaining(symbol: string): Promise<NamedFile> {
  const call = client.makeBidiStreamRequest(method.path, method.requestSerialize, method.responseDeserialize);
  call.write({ fileContainingSymbol: symbol });
  call.end();
  for await (const response of call as AsyncIterable<ReflectionResponse>) {
    const first = response.fileDescriptorResponse?.fileDescriptorProto[0];
    if (!first) throw new Error(`no file for ${symbol}: ${response.errorResponse?.errorMessage}`);
    return descriptor.FileDescriptorProto.toObject(descriptor.FileDescriptorProto.decode(first), { defaults: true, arrays: true }) as NamedFile;
  }
  throw new Error(`the reflection stream ended without answering ${symbol}`);
}

function commentAt(file: NamedFile, path: number[]): string | undefined {
  const found = file.sourceCodeInfo?.location.find((l) => l.path.length === path.length && l.path.every((step, i) => step === path[i]));
  return found?.leadingComments?.trim();
}

describe("reflection serves the .proto comments (what grpcurl describe prints)", () => {
  it("a message's and a field's comment come back with the file", async () => {
    const file = await fileContaining("pushpals.v1.Session");
    expect(file.name).toBe("pushpals/v1/sessions.proto");
    const message = file.messageType.findIndex((m) => m.name === "Session");
    const field = file.messageType[message]?.field.findIndex((f) => f.name === "id") ?? -1;
    expect(message).toBeGreaterThanOrEqual(0);
    expect(field).toBeGreaterThanOrEqual(0);
    expect(commentAt(file, [MESSAGE_TYPE, message])).toMatch(/conversation/i);
    expect(commentAt(file, [MESSAGE_TYPE, message, MESSAGE_FIELD, field])).toContain('"ses_" followed by 26 characters');
  });

  it("a service's RPCs come back documented", async () => {
    const file = await fileContaining("pushpals.v1.SessionService.StreamEvents");
    const service = file.service.findIndex((s) => s.name === "SessionService");
    const rpc = file.service[service]?.method.findIndex((m) => m.name === "StreamEvents") ?? -1;
    expect(commentAt(file, [SERVICE, service])).toContain("Sessions and their append-only event logs.");
    expect(commentAt(file, [SERVICE, service, SERVICE_METHOD, rpc])).toContain("Replays the log after `after_seq`");
  });
});
