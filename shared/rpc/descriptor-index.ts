import { clone, toBinary, type DescExtension, type DescFile, type DescMessage, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { SourceInfoByFile } from "./source-info.js";

/**
 * What server reflection needs to know about the served schema: every file the
 * registered services reach (imports and well-known types included), found by
 * file name, by fully-qualified symbol and by extension.
 */
export interface DescriptorIndex {
  /** Fully-qualified names of the served services, sorted. */
  readonly serviceNames: readonly string[];
  fileByName(name: string): DescFile | undefined;
  fileContainingSymbol(symbol: string): DescFile | undefined;
  /** The extension numbers known for a message type; undefined when the type itself is unknown. */
  extensionNumbersOf(typeName: string): number[] | undefined;
  fileContainingExtension(typeName: string, number: number): DescFile | undefined;
  /** `file` first, then each file it imports (transitively) that `alreadySent` does not hold; marks them sent. */
  encodeWithImports(file: DescFile, alreadySent: Set<string>): Uint8Array[];
}

/** `sourceInfo` adds the comments the generated descriptors lack to the files it names. */
export function indexDescriptors(services: readonly DescService[], sourceInfo: SourceInfoByFile = new Map()): DescriptorIndex {
  const files = new Map<string, DescFile>();
  const symbols = new Map<string, DescFile>();
  const messageTypes = new Set<string>();
  const extensions = new Map<string, DescExtension[]>();
  const encoded = new Map<string, Uint8Array>();

  const addFile = (file: DescFile): void => {
    if (files.has(file.proto.name)) return;
    files.set(file.proto.name, file);
    file.dependencies.forEach(addFile);
    for (const message of file.messages) addMessage(message);
    for (const e of file.enums)
      addEnum(
        e.typeName,
        e.values.map((v) => v.name),
        file,
      );
    for (const extension of file.extensions) addExtension(extension);
    for (const service of file.services) {
      symbols.set(service.typeName, file);
      for (const method of service.methods) symbols.set(`${service.typeName}.${method.name}`, file);
    }
  };
  const addMessage = (message: DescMessage): void => {
    symbols.set(message.typeName, message.file);
    messageTypes.add(message.typeName);
    for (const field of message.fields) symbols.set(`${message.typeName}.${field.name}`, message.file);
    for (const oneof of message.oneofs) symbols.set(`${message.typeName}.${oneof.name}`, message.file);
    for (const nested of message.nestedMessages) addMessage(nested);
    for (const e of message.nestedEnums)
      addEnum(
        e.typeName,
        e.values.map((v) => v.name),
        message.file,
      );
    for (const extension of message.nestedExtensions) addExtension(extension);
  };
  // Protobuf scopes enum values beside their enum, not inside it (pushpals.v1.PRIORITY_NORMAL).
  const addEnum = (typeName: string, valueNames: string[], file: DescFile): void => {
    symbols.set(typeName, file);
    const scope = typeName.slice(0, typeName.lastIndexOf(".") + 1);
    for (const name of valueNames) symbols.set(scope + name, file);
  };
  const addExtension = (extension: DescExtension): void => {
    symbols.set(extension.typeName, extension.file);
    const list = extensions.get(extension.extendee.typeName) ?? [];
    list.push(extension);
    extensions.set(extension.extendee.typeName, list);
  };
  for (const service of services) addFile(service.file);

  const encode = (file: DescFile): Uint8Array => {
    let bytes = encoded.get(file.proto.name);
    if (!bytes) {
      bytes = toBinary(FileDescriptorProtoSchema, withComments(file));
      encoded.set(file.proto.name, bytes);
    }
    return bytes;
  };

  const withComments = (file: DescFile) => {
    const comments = sourceInfo.get(file.proto.name);
    if (!comments) return file.proto;
    const proto = clone(FileDescriptorProtoSchema, file.proto);
    proto.sourceCodeInfo = comments;
    return proto;
  };

  return {
    serviceNames: services.map((s) => s.typeName).sort(),
    fileByName: (name) => files.get(name),
    fileContainingSymbol: (symbol) => symbols.get(symbol.replace(/^\./, "")),
    extensionNumbersOf(typeName) {
      const name = typeName.replace(/^\./, "");
      if (!messageTypes.has(name)) return undefined;
      return (extensions.get(name) ?? []).map((e) => e.number).sort((a, b) => a - b);
    },
    fileContainingExtension(typeName, number) {
      return extensions.get(typeName.replace(/^\./, ""))?.find((e) => e.number === number)?.file;
    },
    encodeWithImports(file, alreadySent) {
      // Like grpc-go: the asked-for file always, its imports only when this stream has not had them.
      const out: Uint8Array[] = [];
      const queue = [file];
      const visited = new Set<string>();
      for (let next = queue.shift(); next; next = queue.shift()) {
        if (visited.has(next.proto.name)) continue;
        visited.add(next.proto.name);
        if (next === file || !alreadySent.has(next.proto.name)) {
          out.push(encode(next));
          alreadySent.add(next.proto.name);
        }
        queue.push(...next.dependencies);
      }
      return out;
    },
  };
}
