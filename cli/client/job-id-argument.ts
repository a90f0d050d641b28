import { isId } from "../../shared/ids.js";
import { usageError } from "./exit-codes.js";

/** The job id a command was given, or a usage error pointing at `pushpals jobs`. */
export function jobIdArgument(value: string | undefined): string {
  const id = value ?? "";
  if (!isId("job", id)) throw usageError(`"${id}" is not a job id (job_ and 26 characters); see \`pushpals jobs\``);
  return id;
}
