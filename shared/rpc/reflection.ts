/**
 * gRPC server reflection (grpc.reflection.v1 and v1alpha), so `grpcurl … list`
 * and `buf curl` work without proto files.
 *
 * Hand-written because Connect-ES ships no reflection service
 * (https://github.com/connectrpc/connect-es/issues/507); it answers from the
 * @bufbuild/protobuf descriptors the generated code already embeds, so it can
 * never disagree with what the server actually serves. The two versions share
 * one wire format, so one `answer` serves both.
 */
import { create } from "@bufbuild/protobuf";
import { Code, type ConnectRouter } from "@connectrpc/connect";
import * as v1 from "../../gen/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import type { DescriptorIndex } from "./descriptor-index.js";
import { iterateUntilAborted } from "./iterate-until-aborted.js";

/** The request oneof of either version, as far as answering it goes. */
export type ReflectionQuery =
  | { case: "fileByFilename" | "fileContainingSymbol" | "allExtensionNumbersOfType" | "listServices"; value: string }
  | { case: "fileContainingExtension"; value: { containingType: string; extensionNumber: number } }
  | { case: undefined; value?: undefined };

/** The response oneof of either version. */
export type ReflectionAnswer =
  | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
  | { case: "allExtensionNumbersResponse"; value: { baseTypeName: string; extensionNumber: number[] } }
  | { case: "listServicesResponse"; value: { service: { name: string }[] } }
  | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } };

/** Fully-qualified names of the reflection services, for listings and auth rules. */
export const REFLECTION_SERVICES = [v1.ServerReflection, v1alpha.ServerReflection] as const;

export function registerReflection(router: ConnectRouter, index: DescriptorIndex): void {
  router.service(v1.ServerReflection, {
    async *serverReflectionInfo(requests, context) {
      const sent = new Set<string>();
      for await (const request of iterateUntilAborted(requests, context.signal)) {
        const messageResponse = answer(index, request.messageRequest, sent);
        yield create(v1.ServerReflectionResponseSchema, { validHost: request.host, originalRequest: request, messageResponse });
      }
    },
  });
  router.service(v1alpha.ServerReflection, {
    async *serverReflectionInfo(requests, context) {
      const sent = new Set<string>();
      for await (const request of iterateUntilAborted(requests, context.signal)) {
        const messageResponse = answer(index, request.messageRequest, sent);
        yield create(v1alpha.ServerReflectionResponseSchema, { validHost: request.host, originalRequest: request, messageResponse });
      }
    },
  });
}

/** One reflection answer; `sent` holds the files this stream already delivered. */
export function answer(index: DescriptorIndex, query: ReflectionQuery, sent: Set<string>): ReflectionAnswer {
  switch (query.case) {
    case "listServices":
      return { case: "listServicesResponse", value: { service: index.serviceNames.map((name) => ({ name })) } };
    case "fileByFilename": {
      const file = index.fileByName(query.value);
      if (!file) return notFound(`file "${query.value}" is not part of the served schema; list services to see what is`);
      return files(index.encodeWithImports(file, sent));
    }
    case "fileContainingSymbol": {
      const file = index.fileContainingSymbol(query.value);
      if (!file) return notFound(`symbol "${query.value}" is not part of the served schema; list services to see what is`);
      return files(index.encodeWithImports(file, sent));
    }
    case "allExtensionNumbersOfType": {
      const numbers = index.extensionNumbersOf(query.value);
      if (!numbers) return notFound(`message type "${query.value}" is not part of the served schema`);
      return { case: "allExtensionNumbersResponse", value: { baseTypeName: query.value.replace(/^\./, ""), extensionNumber: numbers } };
    }
    case "fileContainingExtension": {
      const { containingType, extensionNumber } = query.value;
      const file = index.fileContainingExtension(containingType, extensionNumber);
      if (!file) return notFound(`no extension ${extensionNumber} of "${containingType}" in the served schema`);
      return files(index.encodeWithImports(file, sent));
    }
    case undefined:
      return {
        case: "errorResponse",
        value: { errorCode: Code.InvalidArgument, errorMessage: "the request names no question; set one of list_services, file_by_filename, file_containing_symbol, …" },
      };
  }
}

function files(fileDescriptorProto: Uint8Array[]): ReflectionAnswer {
  return { case: "fileDescriptorResponse", value: { fileDescriptorProto } };
}

function notFound(errorMessage: string): ReflectionAnswer {
  // Connect's Code numbers are gRPC's status codes, which is what error_code carries.
  return { case: "errorResponse", value: { errorCode: Code.NotFound, errorMessage } };
}
