import { create, fromBinary } from "@bufbuild/protobuf";
import { createFileRegistry } from "@bufbuild/protobuf";
import { FieldDescriptorProto_Label as Label, FieldDescriptorProto_Type as FieldType, FileDescriptorProtoSchema, file_google_protobuf_descriptor } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as v1 from "../../gen/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { file_pushpals_v1_sessions } from "../../gen/pushpals/v1/sessions_pb.js";
import { indexDescriptors } from "../../shared/rpc/descriptor-index.js";
import { answer, type ReflectionAnswer, type ReflectionQuery } from "../../shared/rpc/reflection.js";
import { transports, type Transports } from "./support/clients.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

let harness: TestServer;
let clients: Transports;

beforeAll(async () => {
  harness = await startTestServer();
  clients = transports(harness.url);
});

afterAll(async () => {
  clients.close();
  await harness.server.close();
});

type Version = "v1" | "v1alpha";

/** Sends the queries on ONE reflection stream, the way grpcurl does, and returns the answers in order. */
async function reflect(version: Version, queries: ReflectionQuery[]): Promise<ReflectionAnswer[]> {
  const answers: ReflectionAnswer[] = [];
  if (version === "v1") {
    const requests = queries.map((messageRequest) => create(v1.ServerReflectionRequestSchema, { host: "test", messageRequest }));
    for await (const response of createClient(v1.ServerReflection, clients.grpc).serverReflectionInfo(asStream(requests))) {
      expect(response.originalRequest?.messageRequest).toEqual(requests[answers.length]?.messageRequest);
      answers.push(response.messageResponse as ReflectionAnswer);
    }
  } else {
    const requests = queries.map((messageRequest) => create(v1alpha.ServerReflectionRequestSchema, { host: "test", messageRequest }));
    for await (const response of createClient(v1alpha.ServerReflection, clients.grpc).serverReflectionInfo(asStream(requests))) {
      answers.push(response.messageResponse as ReflectionAnswer);
    }
  }
  return answers;
}

async function* asStream<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

function fileNames(reply: ReflectionAnswer | undefined): string[] {
  if (reply?.case !== "fileDescriptorResponse") throw new Error(`expected files, got ${JSON.stringify(reply)}`);
  return reply.value.fileDescriptorProto.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes).name);
}

describe.each(["v1", "v1alpha"] as const)("grpc.reflection.%s over gRPC", (version) => {
  it("sends a file with every import a client needs, and only new imports later on the same stream", async () => {
    const [sessions, event, again] = await reflect(version, [
      { case: "fileContainingSymbol", value: "pushpals.v1.SessionService" },
      { case: "fileContainingSymbol", value: "pushpals.v1.Event" },
      { case: "fileContainingSymbol", value: "pushpals.v1.SessionService" },
    ]);
    const first = fileNames(sessions);
    expect(first[0]).toBe("pushpals/v1/sessions.proto");
    expect(first).toEqual(expect.arrayContaining(["pushpals/v1/events.proto", "pushpals/v1/items.proto", "pushpals/v1/task.proto", "pushpals/v1/common.proto"]));
    expect(first).toEqual(expect.arrayContaining(["google/protobuf/timestamp.proto", "google/protobuf/duration.proto"]));
    expect(new Set(first).size).toBe(first.length);
    expect(fileNames(event)).toEqual(["pushpals/v1/events.proto"]);
    expect(fileNames(again)).toEqual(["pushpals/v1/sessions.proto"]);
  });

  it.each([
    ["pushpals.v1.SessionService.StreamEvents", "pushpals/v1/sessions.proto"],
    ["pushpals.v1.StreamEventsResponse", "pushpals/v1/sessions.proto"],
    ["grpc.health.v1.HealthCheckResponse.ServingStatus", "grpc/health/v1/health.proto"],
    ["pushpals.v1.PRIORITY_NORMAL", "pushpals/v1/common.proto"],
    ["pushpals.v1.Session.last_seq", "pushpals/v1/sessions.proto"],
    [".pushpals.v1.QueueDepth", "pushpals/v1/system.proto"],
    ["google.protobuf.Timestamp", "google/protobuf/timestamp.proto"],
    [`grpc.reflection.${version}.ServerReflection`, `grpc/reflection/${version}/reflection.proto`],
  ])("finds the file declaring %s", async (symbol, file) => {
    const [reply] = await reflect(version, [{ case: "fileContainingSymbol", value: symbol }]);
    expect(fileNames(reply)[0]).toBe(file);
  });

  it("answers by file name, and NOT_FOUND for names it does not serve", async () => {
    const [wkt, missingFile, missingSymbol, types, unknownType, extension] = await reflect(version, [
      { case: "fileByFilename", value: "google/protobuf/timestamp.proto" },
      { case: "fileByFilename", value: "pushpals/v9/nope.proto" },
      { case: "fileContainingSymbol", value: "pushpals.v1.NoSuchThing" },
      { case: "allExtensionNumbersOfType", value: "pushpals.v1.Session" },
      { case: "allExtensionNumbersOfType", value: "pushpals.v1.NoSuchThing" },
      { case: "fileContainingExtension", value: { containingType: "pushpals.v1.Session", extensionNumber: 100 } },
    ]);
    expect(fileNames(wkt)).toEqual(["google/protobuf/timestamp.proto"]);
    for (const reply of [missingFile, missingSymbol, unknownType, extension]) {
      expect(reply).toMatchObject({ case: "errorResponse", value: { errorCode: 5 } });
    }
    expect(missingSymbol).toMatchObject({ value: { errorMessage: expect.stringContaining('"pushpals.v1.NoSuchThing"') } });
    expect(types).toMatchObject({ case: "allExtensionNumbersResponse", value: { baseTypeName: "pushpals.v1.Session", extensionNumber: [] } });
  });
});

describe("extensions, on a schema that has some", () => {
  // A real descriptor built here, since pushpals.v1 declares no extensions.
  const proto = create(FileDescriptorProtoSchema, {
    name: "test/ext.proto",
    package: "test",
    syntax: "proto3",
    dependency: ["google/protobuf/descriptor.proto", "pushpals/v1/sessions.proto"],
    messageType: [
      {
        name: "Outer",
        extension: [{ name: "nested_label", number: 50002, label: Label.OPTIONAL, type: FieldType.STRING, extendee: ".google.protobuf.MessageOptions", jsonName: "nestedLabel" }],
      },
    ],
    extension: [{ name: "label", number: 50001, label: Label.OPTIONAL, type: FieldType.STRING, extendee: ".google.protobuf.MessageOptions", jsonName: "label" }],
    service: [{ name: "ExtService", method: [{ name: "Get", inputType: ".test.Outer", outputType: ".pushpals.v1.Session" }] }],
  });
  const registry = createFileRegistry(proto, (name) =>
    name === "google/protobuf/descriptor.proto" ? file_google_protobuf_descriptor : name === "pushpals/v1/sessions.proto" ? file_pushpals_v1_sessions : undefined,
  );
  const service = registry.getService("test.ExtService");
  if (!service) throw new Error("the test schema did not build");
  const index = indexDescriptors([service]);

  it("lists the extension numbers of a type and finds the file declaring each", () => {
    const sent = new Set<string>();
    expect(answer(index, { case: "allExtensionNumbersOfType", value: "google.protobuf.MessageOptions" }, sent)).toEqual({
      case: "allExtensionNumbersResponse",
      value: { baseTypeName: "google.protobuf.MessageOptions", extensionNumber: [50001, 50002] },
    });
    const nested = answer(index, { case: "fileContainingExtension", value: { containingType: "google.protobuf.MessageOptions", extensionNumber: 50002 } }, sent);
    expect(fileNames(nested)[0]).toBe("test/ext.proto");
    expect(fileNames(nested)).toContain("google/protobuf/descriptor.proto");
    expect(fileNames(answer(index, { case: "fileContainingSymbol", value: "test.Outer.nested_label" }, sent))).toEqual(["test/ext.proto"]);
    expect(answer(index, { case: "fileContainingExtension", value: { containingType: "google.protobuf.MessageOptions", extensionNumber: 1 } }, sent)).toMatchObject({
      case: "errorResponse",
      value: { errorCode: 5 },
    });
  });
});
