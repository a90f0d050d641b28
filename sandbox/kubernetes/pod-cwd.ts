import { posix } from "node:path";
import { invalidArgument } from "../../shared/errors.js";

/**
 * An exec's cwd, checked for shape only: the host cannot see the pod's directories, so whether
 * it exists is checked in the pod (the run wrapper refuses, and the result rejects with
 * InvalidArgument on "cwd"). Messages match the other drivers' (validate.ts).
 */
export function podCwd(raw: string | undefined): string {
  if (raw === undefined) return "";
  if (typeof raw !== "string" || raw.includes("\0")) throw invalidArgument("cwd", "must be a path relative to the workspace root");
  if (posix.isAbsolute(raw)) throw invalidArgument("cwd", `"${raw}" is absolute; pass a path relative to the workspace root (e.g. "src")`);
  const cwd = posix.normalize(raw === "" ? "." : raw).replace(/\/+$/, "");
  if (cwd === ".." || cwd.startsWith("../")) throw invalidArgument("cwd", `"${raw}" leaves the workspace; pass a path inside it`);
  return cwd === "." ? "" : cwd;
}
