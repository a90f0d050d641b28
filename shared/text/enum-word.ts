import type { GenEnum } from "@bufbuild/protobuf/codegenv2";

/**
 * A protobuf enum value as a word for people: its name without the enum's prefix, in
 * lower case (JobStage.WORKSPACE → "workspace", ErrorCode.FAILED_PRECONDITION →
 * "failed_precondition", with separator "-": MergeStrategy.NO_FF → "no-ff"). A number
 * the enum does not declare (a newer peer's) prints as the number.
 */
export function enumWord<T extends number>(schema: GenEnum<T>, value: T, separator = "_"): string {
  const declared = schema.values.find((v) => v.number === value);
  return declared ? declared.localName.toLowerCase().replaceAll("_", separator) : String(value);
}
