import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema, type SourceCodeInfo } from "@bufbuild/protobuf/wkt";
import { sourceInfoSet } from "../../gen/source-info.js";

/** The comments of each file under proto/, by file name, as `buf build` saw them. */
export type SourceInfoByFile = ReadonlyMap<string, SourceCodeInfo>;

/**
 * protoc-gen-es embeds descriptors without source code info; `npm run generate`
 * keeps it beside them (gen/source-info.ts) so reflection can serve the comments.
 */
export function protoSourceInfo(): SourceInfoByFile {
  const set = fromBinary(FileDescriptorSetSchema, Buffer.from(sourceInfoSet, "base64"));
  return new Map(set.file.flatMap((file) => (file.sourceCodeInfo ? [[file.name, file.sourceCodeInfo] as const] : [])));
}
