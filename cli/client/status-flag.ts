import { ItemStatus } from "../../gen/pushpals/v1/common_pb.js";
import { usageError } from "./exit-codes.js";
import { statusWord } from "./format.js";

const KNOWN = Object.values(ItemStatus).filter((value): value is ItemStatus => typeof value === "number" && value !== ItemStatus.UNSPECIFIED);

/** `--status failed,dead-letter --status pending` → the statuses; a word that is no status names the ones that are. */
export function statusFlag(raw: string[] | undefined): ItemStatus[] {
  const words = (raw ?? [])
    .flatMap((value) => value.split(","))
    .map((word) => word.trim().toLowerCase().replace(/_/g, "-"))
    .filter(Boolean);
  return words.map((word) => {
    const status = KNOWN.find((candidate) => statusWord(candidate) === word || (word === "running" && candidate === ItemStatus.CLAIMED));
    if (status === undefined) throw usageError(`--status: "${word}" is not a status; use ${KNOWN.map(statusWord).join(", ")}`);
    return status;
  });
}
