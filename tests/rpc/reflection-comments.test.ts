import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import descriptor from "protobufjs/ext/descriptor/index.js";
import type { DescFile } from "@bufbuild/protobuf";
import type { DescriptorProto, EnumDescriptorProto, FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AutonomyService } from "../../gen/pushpals/v1/autonomy_pb.js";
import { ChatService } from "../../gen/pushpals/v1/chat_pb.js";
import { ExecutionService } from "../../gen/pushpals/v1/execution_pb.js";
import { IntegrationService } from "../../gen/pushpals/v1/integration_pb.js";
import { PlanningService } from "../../gen/pushpals/v1/planning_pb.js";
import { QueueService } from "../../gen/pushpals/v1/queues_pb.js";
import { SessionService } from "../../gen/pushpals/v1/sessions_pb.js";
import { SystemService } from "../../gen/pushpals/v1/system_pb.js";
import { protoSourceInfo } from "../../shared/rpc/source-info.js";
import { PROTO_DIR } from "./support/clients.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

const SERVED = [AutonomyService, ChatService, ExecutionService, IntegrationService, PlanningService, QueueService, SessionService, SystemService];

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

describe("gen/source-info.ts matches the generated descriptors", () => {
  // Paths of every documentable element of a file, as google/protobuf/descriptor.proto numbers them.
  function elementPaths(file: FileDescriptorProto): string[] {
    const paths: string[] = [];
    const message = (m: DescriptorProto, path: number[]) => {
      paths.push(path.join("."));
      m.field.forEach((_, i) => paths.push([...path, 2, i].join(".")));
      m.oneofDecl.forEach((_, i) => paths.push([...path, 8, i].join(".")));
      m.nestedType.forEach((n, i) => message(n, [...path, 3, i]));
      m.enumType.forEach((e, i) => enumType(e, [...path, 4, i]));
    };
    const enumType = (e: EnumDescriptorProto, path: number[]) => {
      paths.push(path.join("."));
      e.value.forEach((_, i) => paths.push([...path, 2, i].join(".")));
    };
    file.messageType.forEach((m, i) => message(m, [4, i]));
    file.enumType.forEach((e, i) => enumType(e, [5, i]));
    file.service.forEach((s, i) => {
      paths.push([6, i].join("."));
      s.method.forEach((_, j) => paths.push([6, i, 2, j].join(".")));
    });
    return paths.sort();
  }

  const sourceInfo = protoSourceInfo();
  const reached = new Map<string, DescFile>();
  const reach = (file: DescFile): void => {
    if (reached.has(file.proto.name)) return;
    reached.set(file.proto.name, file);
    file.dependencies.forEach(reach);
  };
  SERVED.forEach((service) => reach(service.file));
  const files = [...reached.values()].filter((file) => file.proto.name.startsWith("pushpals/"));

  it("covers every pushpals file a service reaches", () => {
    expect(files.map((file) => file.proto.name)).toHaveLength(14);
    for (const file of files) expect(sourceInfo.has(file.proto.name), file.proto.name).toBe(true);
  });

  it.each(files.map((file) => [file.proto.name, file] as const))("%s: a comment on every element and none on an element that does not exist", (_name, file) => {
    const commented = (sourceInfo.get(file.proto.name)?.location ?? [])
      .filter((l) => l.leadingComments.trim() !== "" && [4, 5, 6].includes(l.path[0] ?? -1))
      .map((l) => l.path.join("."))
      .sort();
    expect(commented).toEqual(elementPaths(file.proto));
  });
});
