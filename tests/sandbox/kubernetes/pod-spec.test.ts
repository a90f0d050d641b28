import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { V1NetworkPolicy, V1Pod } from "@kubernetes/client-node";
import type { Sandbox, SandboxSpec } from "../../../sandbox/driver.js";
import { DENY_EGRESS_POLICY } from "../../../sandbox/kubernetes/kubernetes-driver.js";
import { describeIfAvailable } from "../environment.js";
import { collect, makeWorkspace, type Workspace } from "../fixtures.js";
import { TOKEN_PATH } from "./fake-pod-runtime.js";
import { ON_REAL_CLUSTER, kubeRequirement, openKubeTarget, recorded, type KubeTarget } from "./kube-target.js";
import { SANDBOX_PATH, driverFor, expectConnectError, inPod, specFor } from "./support.js";

const onFake = ON_REAL_CLUSTER ? it.skip : it;

describeIfAvailable("kubernetes sandbox pod", await kubeRequirement(), () => {
  let target: KubeTarget;
  let workspace: Workspace;
  let sandbox: Sandbox;
  let spec: SandboxSpec;

  beforeAll(async () => {
    target = await openKubeTarget();
    workspace = await makeWorkspace();
    spec = specFor(workspace.worktree, "pod-spec-runner", { limits: { cpus: 0.5, memoryMb: 256 } });
    sandbox = await driverFor(target).start(spec);
  });
  afterAll(async () => {
    await sandbox?.stop();
    await workspace?.dir.remove();
    await target?.close();
  });

  onFake("creates the deny-egress NetworkPolicy before the first pod, with the runner's credentials", () => {
    const fake = recorded(target);
    const calls = fake.requests.map((request) => `${request.method} ${request.path}`);
    const policyPath = `/apis/networking.k8s.io/v1/namespaces/${target.namespace}/networkpolicies`;
    expect(calls.slice(0, 3)).toEqual([`GET ${policyPath}/${DENY_EGRESS_POLICY}`, `POST ${policyPath}`, `POST /api/v1/namespaces/${target.namespace}/pods`]);
    for (const request of fake.requests) expect(request.headers.authorization).toBe("Bearer fake-runner-token");
    const [create] = fake.requestsTo("POST", policyPath);
    expect(create!.body as V1NetworkPolicy).toEqual({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: DENY_EGRESS_POLICY, namespace: target.namespace, labels: { "app.kubernetes.io/managed-by": "pushpals" } },
      spec: {
        podSelector: { matchLabels: { "app.kubernetes.io/managed-by": "pushpals", "app.kubernetes.io/component": "sandbox" } },
        policyTypes: ["Egress"],
      },
    });
  });

  onFake("creates one restricted pod: exact security settings, labels, resources, deadline, no token", () => {
    const fake = recorded(target);
    const creates = fake.requestsTo("POST", `/api/v1/namespaces/${target.namespace}/pods`);
    expect(creates).toHaveLength(1);
    const pod = creates[0]!.body as V1Pod;
    expect(pod.metadata).toEqual({
      name: sandbox.id,
      namespace: target.namespace,
      labels: {
        "app.kubernetes.io/managed-by": "pushpals",
        "app.kubernetes.io/component": "sandbox",
        "pushpals.owner": "pod-spec-runner",
        "pushpals.job": spec.jobId,
      },
      annotations: { "pushpals.owner": "pod-spec-runner", "pushpals.job": spec.jobId },
    });
    const restricted = {
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
    };
    expect(pod.spec).toEqual({
      restartPolicy: "Never",
      activeDeadlineSeconds: 1800 + 600,
      terminationGracePeriodSeconds: 0,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      hostNetwork: false,
      hostPID: false,
      hostIPC: false,
      securityContext: { ...restricted, fsGroup: 65532, seccompProfile: { type: "RuntimeDefault" } },
      containers: [
        {
          name: "sandbox",
          image: target.image,
          imagePullPolicy: "IfNotPresent",
          command: ["sleep", String(1800 + 600 + 60)],
          workingDir: "/workspace",
          securityContext: {
            ...restricted,
            privileged: false,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
          },
          resources: { requests: { cpu: "500m", memory: "256Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
          volumeMounts: [
            { name: "workspace", mountPath: "/workspace" },
            { name: "tmp", mountPath: "/tmp" },
          ],
        },
      ],
      volumes: [
        { name: "workspace", emptyDir: {} },
        { name: "tmp", emptyDir: {} },
      ],
    });
    // Nothing of the job's environment is in the pod object (anyone who may read pods sees it).
    expect(JSON.stringify(pod)).not.toContain("from-spec");
  });

  it("runs commands as the non-root uid, without capabilities or privilege escalation", async () => {
    expect((await inPod(sandbox, "id -u; id -g")).split("\n")).toEqual(["65532", "65532", ""]);
    const status = await inPod(sandbox, "grep -E '^(CapEff|CapPrm|NoNewPrivs):' /proc/self/status");
    expect(status).toMatch(/^CapPrm:\s+0+$/m);
    expect(status).toMatch(/^CapEff:\s+0+$/m);
    expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
  });

  it("has a read-only root with only /workspace and /tmp writable", async () => {
    const root = await collect(sandbox.exec("touch /pushpals-root-write"));
    expect(root.result.exitCode).not.toBe(0);
    expect(root.stderr).toMatch(/Read-only file system/i);
    expect(await inPod(sandbox, "touch /workspace/w /tmp/t && ls -d /workspace/w && ls -d /tmp/t && rm /workspace/w /tmp/t")).toBe("/workspace/w\n/tmp/t\n");
  });

  it("has no service-account token", async () => {
    const { result } = await collect(sandbox.exec(`test -e ${TOKEN_PATH}`));
    expect(result.exitCode).toBe(1);
  });

  it("gives commands exactly the sandbox's environment, nothing from the image or the cluster", async () => {
    const env = await inPod(sandbox, "env | sort");
    const names = env
      .split("\n")
      .filter(Boolean)
      .map((line) => line.slice(0, line.indexOf("=")));
    expect(names.filter((name) => !["PWD", "SHLVL", "_", "OLDPWD"].includes(name))).toEqual(["HOME", "PATH", "SPEC_VAR"]);
    expect(env).toContain(`PATH=${SANDBOX_PATH}\n`);
    expect(env).not.toMatch(/KUBERNETES_|SERVICE_HOST|IMAGE_ONLY_VAR/);
  });

  it("reuses the policy for the next pod, and refuses a job that asks for network or a model socket before creating anything", async () => {
    const driver = driverFor(target);
    const requestsBefore = target.fake?.requests.length ?? 0;
    await expectConnectError(driver.start({ ...spec, network: true }), Code.FailedPrecondition, /asks for network access.*deny-all egress NetworkPolicy/);
    // An agent CLI's model socket has no way into a pod yet, and is never swapped for network.
    await expectConnectError(
      driver.start({ ...spec, modelSocket: true }),
      Code.FailedPrecondition,
      /kubernetes driver cannot give an agent CLI its model yet.*use runner\.driver "bwrap" or "docker"/,
    );
    await expectConnectError(driver.start({ ...spec, jobId: "bad id" }), Code.InvalidArgument, /^spec\.jobId: /);
    if (target.fake) expect(target.fake.requests.length).toBe(requestsBefore);
    const second = await driver.start({ ...spec, limits: undefined });
    try {
      expect(await inPod(second, "echo second")).toBe("second\n");
    } finally {
      await second.stop();
    }
    if (target.fake) {
      expect(target.fake.requestsTo("POST", /networkpolicies$/)).toHaveLength(1);
      const [, secondPod] = target.fake.requestsTo("POST", `/api/v1/namespaces/${target.namespace}/pods`);
      expect((secondPod!.body as V1Pod).spec!.containers[0]!.resources).toEqual({
        requests: { cpu: "250m", memory: "128Mi" },
        limits: { cpu: "250m", memory: "128Mi" },
      });
    }
  });
});

describeIfAvailable("kubernetes sandbox NetworkPolicy guard", await kubeRequirement(), () => {
  let target: KubeTarget;
  let workspace: Workspace;
  beforeAll(async () => {
    target = await openKubeTarget({ namespaces: ["pushpals-policy-test"] });
    workspace = await makeWorkspace();
  });
  afterAll(async () => {
    await workspace?.dir.remove();
    await target?.close();
  });

  onFake("refuses to start pods when a policy of that name lets traffic out", async () => {
    const { NetworkingV1Api, KubeConfig } = await import("@kubernetes/client-node");
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(target.kubeconfigPath);
    await kubeConfig.makeApiClient(NetworkingV1Api).createNamespacedNetworkPolicy({
      namespace: target.namespace,
      body: {
        metadata: { name: DENY_EGRESS_POLICY },
        spec: { podSelector: { matchLabels: { "app.kubernetes.io/managed-by": "pushpals" } }, policyTypes: ["Egress"], egress: [{}] },
      },
    });
    await expectConnectError(
      driverFor(target).start(specFor(workspace.worktree, "policy-runner")),
      Code.FailedPrecondition,
      new RegExp(`NetworkPolicy ${DENY_EGRESS_POLICY} in namespace pushpals-policy-test does not deny all egress.*kubectl -n pushpals-policy-test delete networkpolicy`),
    );
    expect(recorded(target).requestsTo("POST", /\/pods$/)).toHaveLength(0);
  });
});
