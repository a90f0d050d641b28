import { Code } from "@connectrpc/connect";
import type { V1NetworkPolicy, V1Pod } from "@kubernetes/client-node";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Sandbox } from "../../../sandbox/driver.js";
import { DENY_EGRESS_POLICY } from "../../../sandbox/kubernetes/kubernetes-driver.js";
import { connectCluster } from "../../../sandbox/kubernetes/cluster.js";
import { SETUP_EGRESS_POLICY } from "../../../sandbox/kubernetes/network-policy.js";
import { describeIfAvailable } from "../environment.js";
import { makeWorkspace, type Workspace } from "../fixtures.js";
import { ON_REAL_CLUSTER, kubeRequirement, openKubeTarget, recorded, type KubeTarget } from "./kube-target.js";
import { driverFor, expectConnectError, inPod, specFor } from "./support.js";

const onFake = ON_REAL_CLUSTER ? it.skip : it;
const SETUP_IMAGE = "registry.example/pushpals/node-setup:20";

describeIfAvailable("kubernetes setup pod (the setup phase of a job environment)", await kubeRequirement(), () => {
  let target: KubeTarget;
  let workspace: Workspace;
  let setup: Sandbox | undefined;
  let agent: Sandbox | undefined;

  beforeAll(async () => {
    target = await openKubeTarget();
    workspace = await makeWorkspace();
  });
  afterAll(async () => {
    await setup?.stop();
    await agent?.stop();
    await workspace?.dir.remove();
    await target?.close();
  });

  onFake("gives the setup pod its own egress policy and label, and the agent's pod neither", async () => {
    const driver = driverFor(target);
    setup = await driver.start(specFor(workspace.worktree, "setup-pod-runner", { network: true, phase: "setup", image: SETUP_IMAGE }));
    await inPod(setup, "mkdir -p node_modules/dep && echo installed > node_modules/dep/index.js");
    await setup.copyOut(workspace.worktree);
    await setup.stop();
    agent = await driver.start(specFor(workspace.worktree, "setup-pod-runner", { image: SETUP_IMAGE }));
    expect(await inPod(agent, "cat node_modules/dep/index.js")).toBe("installed\n");

    const fake = recorded(target);
    const policyPath = `/apis/networking.k8s.io/v1/namespaces/${target.namespace}/networkpolicies`;
    const calls = fake.requests
      .map((request) => `${request.method} ${request.path}`)
      .filter((call) => call.includes("networkpolicies") || (call.startsWith("POST") && call.endsWith("/pods")));
    expect(calls).toEqual([
      `GET ${policyPath}/${DENY_EGRESS_POLICY}`,
      `POST ${policyPath}`,
      `GET ${policyPath}/${SETUP_EGRESS_POLICY}`,
      `POST ${policyPath}`,
      `POST /api/v1/namespaces/${target.namespace}/pods`,
      `POST /api/v1/namespaces/${target.namespace}/pods`,
    ]);
    const policies = fake.requestsTo("POST", policyPath).map((request) => request.body as V1NetworkPolicy);
    expect(policies[1]).toEqual({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: SETUP_EGRESS_POLICY, namespace: target.namespace, labels: { "app.kubernetes.io/managed-by": "pushpals" } },
      spec: {
        podSelector: { matchLabels: { "app.kubernetes.io/managed-by": "pushpals", "app.kubernetes.io/component": "sandbox", "pushpals.phase": "setup" } },
        policyTypes: ["Egress"],
        egress: [{}],
      },
    });
    const [setupPod, agentPod] = fake.requestsTo("POST", `/api/v1/namespaces/${target.namespace}/pods`).map((request) => request.body as V1Pod);
    expect(setupPod!.metadata!.labels).toMatchObject({ "app.kubernetes.io/component": "sandbox", "pushpals.phase": "setup" });
    expect(agentPod!.metadata!.labels).not.toHaveProperty("pushpals.phase");
    expect(setupPod!.spec!.containers[0]!.image).toBe(SETUP_IMAGE);
    expect(agentPod!.spec!.containers[0]!.image).toBe(SETUP_IMAGE);
    // Everything else of the setup pod is the agent pod's restricted spec.
    expect(setupPod!.spec).toEqual(agentPod!.spec);
  });

  onFake("refuses a setup egress policy of that name that would open other sandbox pods", async () => {
    const other = await openKubeTarget();
    try {
      await connectCluster(other.kubeconfigPath).networking.createNamespacedNetworkPolicy({
        namespace: other.namespace,
        body: {
          apiVersion: "networking.k8s.io/v1",
          kind: "NetworkPolicy",
          metadata: { name: SETUP_EGRESS_POLICY },
          spec: { podSelector: { matchLabels: { "app.kubernetes.io/component": "sandbox" } }, policyTypes: ["Egress"], egress: [{}] },
        },
      });
      await expectConnectError(
        driverFor(other).start(specFor(workspace.worktree, "setup-pod-runner", { network: true, phase: "setup" })),
        Code.FailedPrecondition,
        /selects more than setup pods/,
      );
      expect(recorded(other).requestsTo("POST", `/api/v1/namespaces/${other.namespace}/pods`)).toHaveLength(0);
    } finally {
      await other.close();
    }
  });

  it("still refuses network to a pod that is not a setup pod", async () => {
    await expectConnectError(driverFor(target).start(specFor(workspace.worktree, "setup-pod-runner", { network: true })), Code.FailedPrecondition, /deny-all egress NetworkPolicy/);
  });
});
