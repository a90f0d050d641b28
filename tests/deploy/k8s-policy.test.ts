import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../shared/config/load.js";
import { packageRoot } from "../../shared/paths.js";
import { podManifest } from "../../sandbox/kubernetes/pod-manifest.js";
import { kubernetesSettings } from "../../sandbox/kubernetes/settings.js";
import { tempDir } from "../support/tmp.js";
import { byKind, type KubeObject, named, renderKustomization } from "./support/kustomize.js";

interface Container {
  name: string;
  args?: string[];
  securityContext?: Record<string, unknown>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  readinessProbe?: Record<string, unknown>;
  livenessProbe?: Record<string, unknown>;
}
interface PodSpec {
  automountServiceAccountToken?: boolean;
  serviceAccountName?: string;
  securityContext?: Record<string, unknown>;
  containers: Container[];
  initContainers?: Container[];
}

const podSpecOf = (workload: KubeObject) => (workload.spec as { template: { spec: PodSpec } }).template.spec;
const RESTRICTED_CONTAINER = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
};

/** The rendered kubernetes.toml profile, loaded exactly as a pod loads it: the image's default.toml, then the profile. */
async function profileConfig(objects: readonly KubeObject[]) {
  const configMap = byKind(objects, "ConfigMap").find((c) => c.metadata.name.startsWith("pushpals-config"))!;
  const dir = await tempDir("pushpals-k8s-profile-");
  await mkdir(join(dir.path, "configs"));
  await writeFile(join(dir.path, "configs", "default.toml"), await readFile(join(packageRoot(), "configs", "default.toml")));
  await writeFile(join(dir.path, "configs", "kubernetes.toml"), (configMap.data as Record<string, string>)["kubernetes.toml"]!);
  try {
    return loadConfig({ configDir: join(dir.path, "configs"), env: { PUSHPALS_PROFILE: "kubernetes" }, warn: () => undefined });
  } finally {
    await dir.remove();
  }
}

describe("deploy/k8s policy: restricted pods, a runner limited to the jobs namespace, no egress from jobs", () => {
  for (const overlay of ["overlays/dev", "overlays/prod"]) {
    it(`${overlay}: every PushPals pod is non-root, unprivileged, capability-free, read-only, seccomp-confined, sized and probed on grpc.health.v1`, async () => {
      const objects = await renderKustomization(overlay);
      const deployments = byKind(objects, "Deployment");
      expect(deployments).toHaveLength(5);
      for (const deployment of deployments) {
        const pod = podSpecOf(deployment);
        const where = deployment.metadata.name;
        expect(pod.securityContext, where).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
        expect(pod.securityContext!.runAsUser, where).toBeGreaterThan(0);
        const runner = where === "pushpals-runner";
        expect(pod.automountServiceAccountToken, `${where}: only the runner talks to the API`).toBe(runner);
        expect(pod.serviceAccountName, where).toBe(runner ? "pushpals-runner" : "pushpals");
        for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
          const what = `${where}/${container.name}`;
          expect(container.securityContext, what).toMatchObject({ ...RESTRICTED_CONTAINER, readOnlyRootFilesystem: true });
          expect(Object.keys(container.resources?.requests ?? {}).sort(), what).toEqual(["cpu", "memory"]);
          expect(Object.keys(container.resources?.limits ?? {}).sort(), what).toEqual(["cpu", "memory"]);
        }
        for (const container of pod.containers) {
          expect(container.readinessProbe, where).toMatchObject({ grpc: { port: 3001 } });
          expect(container.livenessProbe, where).toMatchObject({ grpc: { port: 3001 } });
          expect(container.args?.[0], where).toBe("serve");
        }
      }
      const controlPlane = named(objects, "Deployment", "pushpals-control-plane");
      expect((controlPlane.spec as { replicas: number }).replicas).toBeGreaterThanOrEqual(2);
      const pdb = named(objects, "PodDisruptionBudget", "pushpals-control-plane");
      expect((pdb.spec as { selector: unknown }).selector).toEqual((controlPlane.spec as { selector: unknown }).selector);
      const service = named(objects, "Service", "pushpals");
      expect((service.spec as { selector: unknown }).selector).toEqual((controlPlane.spec as { selector: { matchLabels: unknown } }).selector.matchLabels);
    }, 30_000);

    it(`${overlay}: the jobs namespace enforces Pod Security "restricted" and denies all egress; the runner's Role reaches pods, exec and logs there and nothing else`, async () => {
      const objects = await renderKustomization(overlay);
      const jobs = named(objects, "Namespace", "pushpals-jobs");
      expect(jobs.metadata.labels).toMatchObject({ "pod-security.kubernetes.io/enforce": "restricted" });
      const denyAll = byKind(objects, "NetworkPolicy").find(
        (p) => p.metadata.namespace === "pushpals-jobs" && JSON.stringify((p.spec as { podSelector: unknown }).podSelector) === "{}",
      );
      expect(denyAll, "a default-deny egress policy selecting every pod of the jobs namespace").toBeDefined();
      expect(denyAll!.spec).toEqual({ podSelector: {}, policyTypes: ["Egress"] });

      expect(byKind(objects, "ClusterRole"), "no cluster-wide rights").toEqual([]);
      expect(byKind(objects, "ClusterRoleBinding")).toEqual([]);
      const roles = byKind(objects, "Role");
      expect(roles.map((r) => `${r.metadata.namespace}/${r.metadata.name}`)).toEqual(["pushpals-jobs/pushpals-sandbox-runner"]);
      const rules = roles[0]!.rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[];
      const grants = rules.flatMap((rule) => rule.resources.flatMap((resource) => rule.verbs.map((verb) => `${rule.apiGroups.join(",")}/${resource}:${verb}`)));
      expect(
        grants.filter((grant) => grant.includes("*")),
        "no wildcards",
      ).toEqual([]);
      const resources = new Set(rules.flatMap((rule) => rule.resources));
      // events (why a pod will not start) and reading the egress policies are what the driver needs besides.
      expect([...resources].sort()).toEqual(["events", "networkpolicies", "pods", "pods/exec", "pods/log"]);
      expect(
        grants.filter((grant) => grant.startsWith("networking.k8s.io/")),
        "the runner never edits network policies",
      ).toEqual(["networking.k8s.io/networkpolicies:get"]);
      const binding = byKind(objects, "RoleBinding")[0]!;
      expect(binding.metadata.namespace).toBe("pushpals-jobs");
      expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: "pushpals-runner", namespace: "pushpals" }]);
    }, 30_000);
  }

  it("the pods the runner makes from the rendered profile land in the jobs namespace, restricted, with no service-account token, under the deny-egress policy", async () => {
    const objects = await renderKustomization("overlays/dev");
    const config = await profileConfig(objects);
    expect(config.runner.driver).toBe("kubernetes");
    expect(config.observability.metrics, "the runner's port, so its probes have a server to ask").toBe(true);
    const pod = podManifest({
      name: "pushpals-job-test",
      spec: { jobId: "job_1", owner: "runner-1", worktree: "/tmp/none", env: {} },
      settings: kubernetesSettings(config.runner),
    });
    expect(pod.metadata!.namespace).toBe("pushpals-jobs");
    const spec = pod.spec!;
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    for (const container of spec.containers) {
      expect(container.securityContext).toMatchObject({ ...RESTRICTED_CONTAINER, readOnlyRootFilesystem: true });
      expect(container.env ?? []).toEqual([]);
    }
    const policy = named(objects, "NetworkPolicy", "pushpals-sandbox-deny-egress");
    const selector = (policy.spec as { podSelector: { matchLabels: Record<string, string> } }).podSelector.matchLabels;
    expect(pod.metadata!.labels).toMatchObject(selector);
    expect(policy.spec).toMatchObject({ policyTypes: ["Egress"] });
    expect((policy.spec as { egress?: unknown[] }).egress ?? []).toEqual([]);
  }, 30_000);
});
