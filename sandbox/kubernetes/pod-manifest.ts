import type { V1Pod } from "@kubernetes/client-node";
import type { SandboxSpec } from "../driver.js";
import { CONTAINER_NAME, JOB_LABEL, OWNER_LABEL, PHASE_LABEL, POD_WORKDIR, SETUP_PHASE, sandboxLabels } from "./names.js";
import type { KubernetesSandboxSettings } from "./settings.js";

export interface PodPlan {
  name: string;
  spec: SandboxSpec;
  settings: KubernetesSandboxSettings;
}

/**
 * The sandbox pod: it only sleeps, and every command is an exec into it. It meets the
 * "restricted" Pod Security Standard: non-root with a fixed uid, no privilege escalation, no
 * capabilities, the runtime's default seccomp profile, and a read-only root where only the
 * workspace and /tmp (both emptyDir) are writable. No service-account token and no service
 * environment variables reach it, and its container has no env at all: each command gets
 * exactly the sandbox's environment from the exec itself (pod-scripts.ts).
 */
export function podManifest({ name, spec, settings }: PodPlan): V1Pod {
  const uid = settings.runAsUser;
  const resources = podResources(spec, settings);
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: settings.namespace,
      // A setup pod is labelled for the setup egress policy (network-policy.ts); no other pod ever is.
      labels: { ...sandboxLabels(spec.owner, spec.jobId), ...(spec.phase === "setup" ? { [PHASE_LABEL]: SETUP_PHASE } : {}) },
      // Labels may be shortened to fit; the annotations keep the exact ids for people.
      annotations: { [OWNER_LABEL]: spec.owner, [JOB_LABEL]: spec.jobId },
    },
    spec: {
      restartPolicy: "Never",
      activeDeadlineSeconds: settings.activeDeadlineSeconds,
      terminationGracePeriodSeconds: 0,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      hostNetwork: false,
      hostPID: false,
      hostIPC: false,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: uid,
        fsGroup: uid,
        seccompProfile: { type: "RuntimeDefault" },
      },
      containers: [
        {
          name: CONTAINER_NAME,
          image: spec.image || settings.image,
          imagePullPolicy: "IfNotPresent",
          // A bounded sleep: the pod ends on its own even if nobody deletes it.
          command: ["sleep", String(settings.activeDeadlineSeconds + 60)],
          workingDir: POD_WORKDIR,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: uid,
            runAsGroup: uid,
            privileged: false,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
          },
          resources: { requests: resources, limits: resources },
          volumeMounts: [
            { name: "workspace", mountPath: POD_WORKDIR },
            { name: "tmp", mountPath: "/tmp" },
          ],
        },
      ],
      volumes: [
        { name: "workspace", emptyDir: {} },
        { name: "tmp", emptyDir: {} },
      ],
    },
  };
}

/** Requests equal limits: the pod gets what it may use (Guaranteed QoS), so runs are comparable. */
function podResources(spec: SandboxSpec, settings: KubernetesSandboxSettings): { cpu: string; memory: string } {
  const cpus = spec.limits?.cpus;
  const memoryMb = spec.limits?.memoryMb;
  return {
    cpu: cpus === undefined ? settings.cpu : `${Math.max(1, Math.round(cpus * 1000))}m`,
    memory: memoryMb === undefined ? settings.memory : `${Math.max(1, Math.round(memoryMb))}Mi`,
  };
}
