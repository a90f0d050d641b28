import type { Config } from "../../shared/config/schema.js";

export type SupervisorSettings = Config["runner"];

/** What the kubernetes driver needs from the config, with every derived value worked out. */
export interface KubernetesSandboxSettings {
  namespace: string;
  image: string;
  /** Empty: the default loading (KUBECONFIG, ~/.kube/config, in-cluster). */
  kubeconfig: string;
  /** Default requests and limits when a job names none. */
  cpu: string;
  memory: string;
  runAsUser: number;
  startTimeoutMs: number;
  /** The pod's own deadline: a safety net for pods whose runner died without deleting them. */
  activeDeadlineSeconds: number;
  /** How long stop() and sweep() wait for a deleted pod to be gone. */
  deleteTimeoutMs: number;
  /** copyOut refuses a workspace larger than this (a pod could otherwise fill the host's disk). */
  maxCopyOutBytes: number;
}

/** Room after the job's wall-time budget for copying the workspace out and validating. */
const DEADLINE_MARGIN_SECONDS = 600;

export function kubernetesSettings(supervisor: SupervisorSettings): KubernetesSandboxSettings {
  const kubernetes = supervisor.kubernetes;
  return {
    namespace: kubernetes.namespace,
    image: kubernetes.image,
    kubeconfig: kubernetes.kubeconfig,
    cpu: kubernetes.cpu,
    memory: kubernetes.memory,
    runAsUser: kubernetes.runAsUser,
    startTimeoutMs: kubernetes.startTimeoutSeconds * 1000,
    activeDeadlineSeconds: Math.ceil(supervisor.maxWallSeconds) + DEADLINE_MARGIN_SECONDS,
    deleteTimeoutMs: 60_000,
    maxCopyOutBytes: 4 * 1024 * 1024 * 1024,
  };
}
