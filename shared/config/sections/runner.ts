import { z } from "zod";
import { onOff } from "../on-off.js";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** A Kubernetes resource quantity (decimal or binary suffix). */
const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;

export const runnerSection = z.strictObject({
  /** Sandbox driver; "auto" is bwrap where installed, else process (with a warning). */
  driver: z.enum(["auto", "process", "bwrap", "docker", "kubernetes"]).default("auto"),
  /**
   * Whether the process driver (chosen, or auto's fallback without bubblewrap) may run worker
   * jobs: the coding agent's commands then run on this host with the runner's rights.
   */
  allowUnisolated: onOff.default(false),
  /** Empty means "<hostname>-<pid>", lower-cased. */
  workerId: z.string().default(""),
  concurrency: z.coerce.number().int().min(1).max(64).default(2),
  heartbeatSeconds: z.coerce.number().min(0.1).max(300).default(5),
  leaseSeconds: z.coerce.number().min(1).max(3600).default(30),
  /** Budgets a job gets when its plan names none. */
  maxWallSeconds: z.coerce.number().min(1).max(86400).default(1800),
  maxSteps: z.coerce.number().int().min(1).max(10000).default(40),
  maxOutputBytesPerCommand: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(64 * 1024),
  maxLogBytes: z.coerce
    .number()
    .int()
    .min(1024)
    .max(1024 * 1024 * 1024)
    .default(16 * 1024 * 1024),
  /**
   * Where a job that names no base_ref starts: "integration" (the integration branch, when it
   * contains repo.baseBranch, so sequential requests build on each other; else the base branch,
   * with the reason in the job's events) or "base" (always repo.baseBranch).
   */
  base: z.enum(["integration", "base"]).default("integration"),
  /**
   * Worktrees kept checked out at the jobs' start point (see base) so a job's workspace is ready in milliseconds
   * (a rename) instead of a full checkout; 0 turns this off. Each costs one checkout on disk.
   */
  warmWorktrees: z.coerce.number().int().min(0).max(16).default(1),
  /**
   * Delete a job's agent/<worker>/<job> branch with its worktree when the job ended without a
   * completion (failed, cancelled, no changes); a branch holding a commit is left to integration.
   */
  deleteJobBranches: z.boolean().default(true),
  /** Author and committer of job commits, "Name <email>". */
  commitAuthor: z
    .string()
    .regex(/^[^<>\n]*[^<>\s] <[^<>\s]+@[^<>\s]+>$/, 'must look like "Name <email@host>"')
    .default("PushPals <pushpals@users.noreply.localhost>"),
  /** Environment variables passed into sandboxes (everything else is cleared). */
  envAllowList: z.array(z.string()).default(["PATH", "HOME", "LANG", "LC_ALL", "TERM", "TZ"]),
  /**
   * Limits of bwrap sandboxes; the process driver's job cgroup takes pidsLimit, memoryMb and
   * fileSizeMb from here too. 0 turns one off. Keep equal to sandbox/host-limits.ts.
   */
  bwrap: z
    .strictObject({
      /** The job cgroup's pids.max (and RLIMIT_NPROC inside the sandbox, which does not bind root). */
      pidsLimit: z.coerce.number().int().min(0).max(65536).default(256),
      /** The job cgroup's memory limit; where no cgroup can be made, the address space rlimit. */
      memoryMb: z.coerce.number().int().min(0).max(1048576).default(1024),
      /** The size of the RAM-backed /tmp, and of /dev/shm. */
      tmpMb: z.coerce.number().int().min(0).max(1048576).default(256),
      /** The largest file a command may write (RLIMIT_FSIZE), the worktree included. */
      fileSizeMb: z.coerce.number().int().min(0).max(1048576).default(1024),
    })
    .prefault({}),
  docker: z
    .strictObject({
      image: z.string().default("localhost/pushpals-busybox:latest"),
      network: z.string().default("none"),
      /** The network of a job's setup phase only (dependencies from registries); the agent phase never has one. "none": no setup network. */
      setupNetwork: z.string().default("bridge"),
      cpus: z.coerce.number().min(0.1).max(64).default(1),
      memoryMb: z.coerce.number().int().min(16).max(65536).default(1024),
      pidsLimit: z.coerce.number().int().min(16).max(65536).default(256),
      /** The size of the container's RAM-backed /tmp; 0: only memoryMb bounds it. */
      tmpMb: z.coerce.number().int().min(0).max(1048576).default(256),
    })
    .prefault({}),
  kubernetes: z
    .strictObject({
      namespace: z.string().regex(DNS_LABEL, "must be a Kubernetes namespace name (lower-case letters, digits and '-')").default("pushpals"),
      image: z.string().min(1).default("node:20-bookworm-slim"),
      /** Empty: KUBECONFIG, ~/.kube/config, else the in-cluster service account. */
      kubeconfig: z.string().default(""),
      cpu: z.string().regex(QUANTITY, "must be a Kubernetes quantity such as 500m or 2").default("1"),
      memory: z.string().regex(QUANTITY, "must be a Kubernetes quantity such as 512Mi or 2Gi").default("1Gi"),
      /** The non-root uid (and gid) sandbox pods run as. */
      runAsUser: z.coerce.number().int().min(1).max(2147483647).default(65532),
      /** How long a pod may take to be scheduled, pull its image and start. */
      startTimeoutSeconds: z.coerce.number().min(1).max(3600).default(180),
    })
    .prefault({}),
});

export const runnerEnv = {
  PUSHPALS_SANDBOX_DRIVER: "runner.driver",
  PUSHPALS_ALLOW_UNISOLATED: "runner.allowUnisolated",
  PUSHPALS_WORKER_ID: "runner.workerId",
  PUSHPALS_JOB_BASE: "runner.base",
  PUSHPALS_CONCURRENCY: "runner.concurrency",
  PUSHPALS_COMMIT_AUTHOR: "runner.commitAuthor",
  PUSHPALS_KUBECONFIG: "runner.kubernetes.kubeconfig",
} as const;
