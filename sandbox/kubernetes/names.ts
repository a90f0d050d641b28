import { createHash, randomBytes } from "node:crypto";

/** Where the job's worktree lives inside a sandbox pod. */
export const POD_WORKDIR = "/workspace";
export const CONTAINER_NAME = "sandbox";

export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY = "pushpals";
/** Set on sandbox pods only, so the deny-egress policy never selects PushPals' own services. */
export const COMPONENT_LABEL = "app.kubernetes.io/component";
export const COMPONENT = "sandbox";
export const OWNER_LABEL = "pushpals.owner";
export const JOB_LABEL = "pushpals.job";
/** Set on a job's setup pod only: the setup egress policy selects it, the agent's pod never has it. */
export const PHASE_LABEL = "pushpals.phase";
export const SETUP_PHASE = "setup";

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_VALUE_MAX = 63;

/**
 * A label value for `raw` (at most 63 characters, alphanumeric at both ends). A value that
 * needs changing keeps a readable prefix and gets a hash of the original, so two owners that
 * sanitise alike never sweep each other's pods.
 */
export function labelValue(raw: string): string {
  if (raw.length <= LABEL_VALUE_MAX && LABEL_VALUE.test(raw)) return raw;
  const readable = raw
    .replace(/[^A-Za-z0-9_.-]+/g, "-")
    .slice(0, LABEL_VALUE_MAX - 9)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
  const hash = createHash("sha256").update(raw).digest("hex").slice(0, 8);
  return readable === "" ? hash : `${readable}-${hash}`;
}

export function sandboxLabels(owner: string, jobId: string): Record<string, string> {
  return {
    [MANAGED_BY_LABEL]: MANAGED_BY,
    [COMPONENT_LABEL]: COMPONENT,
    [OWNER_LABEL]: labelValue(owner),
    [JOB_LABEL]: labelValue(jobId),
  };
}

/** Selects every sandbox pod of `owner`, and nothing else PushPals runs. */
export function ownerSelector(owner: string): string {
  return `${MANAGED_BY_LABEL}=${MANAGED_BY},${COMPONENT_LABEL}=${COMPONENT},${OWNER_LABEL}=${labelValue(owner)}`;
}

/** `pushpals-<job>-<random>`: a DNS label (it becomes the pod's hostname), unique per start. */
export function podName(jobId: string): string {
  const job = jobId
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .slice(0, 40)
    .replace(/^-+|-+$/g, "");
  return `pushpals-${job || "job"}-${randomBytes(3).toString("hex")}`;
}
