import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { byKind, type KubeObject, renderKustomization } from "./support/kustomize.js";
import { openApiProblems, PINNED_MODELS, unknownFieldProblems } from "./support/kube-schema.js";
import { tempDir } from "../support/tmp.js";

const OVERLAYS = ["overlays/dev", "overlays/prod"] as const;

const id = (object: KubeObject) => `${object.kind}/${object.metadata.namespace ?? ""}/${object.metadata.name}`;

describe(`deploy/k8s renders with kubectl kustomize and every object validates against the pinned Kubernetes API (${PINNED_MODELS})`, () => {
  for (const overlay of OVERLAYS) {
    it(`${overlay}: renders, and every object passes the OpenAPI schema with unknown fields refused`, async () => {
      const objects = await renderKustomization(overlay);
      expect(objects.length).toBeGreaterThan(15);
      const problems = objects.flatMap((object) => openApiProblems(object).map((problem) => `${id(object)}: ${problem}`));
      expect(problems).toEqual([]);
      const dir = await tempDir("pushpals-k8s-schema-");
      try {
        expect(await unknownFieldProblems(objects, join(dir.path, "check"))).toEqual([]);
      } finally {
        await dir.remove();
      }
    }, 60_000);
  }

  it("both overlays hold the whole mesh: namespaces, a Deployment per service, the control plane's Service and PDB", async () => {
    for (const overlay of OVERLAYS) {
      const objects = await renderKustomization(overlay);
      expect(
        byKind(objects, "Namespace")
          .map((n) => n.metadata.name)
          .sort(),
      ).toEqual(["pushpals", "pushpals-jobs"]);
      expect(
        byKind(objects, "Deployment")
          .map((d) => d.metadata.name)
          .sort(),
      ).toEqual(["pushpals-chat", "pushpals-control-plane", "pushpals-integration", "pushpals-planner", "pushpals-runner"]);
      expect(byKind(objects, "PodDisruptionBudget").map((p) => p.metadata.name)).toEqual(["pushpals-control-plane"]);
      expect(byKind(objects, "ConfigMap").map((c) => c.metadata.name)).toEqual(expect.arrayContaining(["pushpals-mesh", "pushpals-endpoints"]));
    }
    const dev = await renderKustomization("overlays/dev");
    const prod = await renderKustomization("overlays/prod");
    expect(
      byKind(dev, "StatefulSet")
        .map((s) => s.metadata.name)
        .sort(),
      "dev runs its own Postgres and NATS",
    ).toEqual(["nats", "postgres"]);
    expect(byKind(prod, "StatefulSet"), "prod points at external ones").toEqual([]);
    expect(byKind(prod, "Secret"), "prod's Secret is made out of band, never rendered from the repository").toEqual([]);
  }, 30_000);

  // The controls: a check that cannot fail proves nothing.
  it("refuses an unknown field deep in a pod template, and a wrongly typed one", async () => {
    const objects = await renderKustomization("overlays/dev");
    const deployment = structuredClone(byKind(objects, "Deployment")[0]!) as KubeObject & {
      spec: { replicas: unknown; template: { spec: { containers: Record<string, unknown>[] } } };
    };
    deployment.spec.template.spec.containers[0]!.livenesProbe = { grpc: { port: 3001 } };
    const dir = await tempDir("pushpals-k8s-schema-");
    try {
      const problems = await unknownFieldProblems([deployment], join(dir.path, "check"));
      expect(problems.join("\n")).toMatch(/livenesProbe/);
    } finally {
      await dir.remove();
    }
    const mistyped = structuredClone(deployment);
    delete mistyped.spec.template.spec.containers[0]!.livenesProbe;
    mistyped.spec.replicas = "two";
    expect(openApiProblems(mistyped).join("\n")).toMatch(/replicas/);
    expect(openApiProblems({ apiVersion: "apps/v1", kind: "Deploymnet", metadata: { name: "x" } })).toEqual([expect.stringMatching(/not a kind of the pinned API/)]);
  }, 60_000);
});
