import { Code } from "@connectrpc/connect";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { labelValue } from "../../../sandbox/kubernetes/kubernetes-driver.js";
import { describeIfAvailable } from "../environment.js";
import { collect, makeWorkspace, uniqueSleep, waitFor, type Workspace } from "../fixtures.js";
import { UNPULLABLE_REGISTRY } from "./fake-kube-api.js";
import { ON_REAL_CLUSTER, kubeRequirement, openKubeTarget, recorded, type KubeTarget } from "./kube-target.js";
import { driverFor, expectConnectError, inPod, processesInPod, specFor } from "./support.js";

const onFake = ON_REAL_CLUSTER ? it.skip : it;
/** A real registry answers "no such host" within seconds, then kubelet backs off. */
const PULL_TIMEOUT_SECONDS = ON_REAL_CLUSTER ? 120 : 10;

describeIfAvailable("kubernetes sandbox lifecycle", await kubeRequirement(), () => {
  let target: KubeTarget;
  let workspace: Workspace;
  let core: CoreV1Api;

  const podExists = async (name: string) =>
    core.readNamespacedPod({ name, namespace: target.namespace }).then(
      () => true,
      (error: { code?: number }) => {
        if (error.code === 404) return false;
        throw error;
      },
    );
  const podsOf = async (owner: string) =>
    (await core.listNamespacedPod({ namespace: target.namespace, labelSelector: `pushpals.owner=${labelValue(owner)}` })).items.map((pod) => pod.metadata!.name!);

  beforeAll(async () => {
    target = await openKubeTarget({ node: { cpuMillis: 4000, memoryMi: 8192 } });
    workspace = await makeWorkspace();
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(target.kubeconfigPath);
    core = kubeConfig.makeApiClient(CoreV1Api);
  });
  afterAll(async () => {
    await workspace?.dir.remove();
    await target?.close();
  });

  it("stop() kills the running command, deletes the pod without grace, waits until it is gone, and is safe twice", async () => {
    const sandbox = await driverFor(target).start(specFor(workspace.worktree, "stop-runner"));
    const { seconds } = uniqueSleep();
    const running = sandbox.exec(`sleep ${seconds}`);
    await waitFor("the sleep to run", async () => (await processesInPod(sandbox, `sleep ${seconds}`)) === 1, 3000);
    await sandbox.stop();
    const requestsByStop = target.fake?.requests.length ?? 0;
    expect((await running.result).cancelled).toBe(true);
    expect(await podExists(sandbox.id)).toBe(false);
    await sandbox.stop();
    await expectConnectError(
      Promise.resolve().then(() => sandbox.exec("true")),
      Code.FailedPrecondition,
      /was stopped; start a new sandbox/,
    );
    await expectConnectError(sandbox.copyOut(workspace.worktree), Code.FailedPrecondition, /was stopped/);
    if (target.fake) {
      const deletes = recorded(target).requestsTo("DELETE", `/api/v1/namespaces/${target.namespace}/pods/${sandbox.id}`);
      expect(deletes.map((request) => request.query)).toEqual([{ gracePeriodSeconds: ["0"] }]);
      // It polled the pod after the DELETE until the API answered 404: the pod was gone when stop() returned.
      const byStop = recorded(target).requests.slice(recorded(target).requests.indexOf(deletes[0]!) + 1, requestsByStop);
      const reads = byStop.filter((request) => request.method === "GET" && request.path === `/api/v1/namespaces/${target.namespace}/pods/${sandbox.id}`);
      expect(reads.map((request) => request.status)).toEqual([...reads.slice(1).map(() => 200), 404]);
    }
  });

  it("sweep(owner) deletes exactly the pods that owner left behind", async () => {
    const owner = `sweep-${"long-runner-name-".repeat(5)}a`;
    const orphans = [await driverFor(target).start(specFor(workspace.worktree, owner)), await driverFor(target).start(specFor(workspace.worktree, owner))];
    const neighbour = await driverFor(target).start(specFor(workspace.worktree, `${owner}-other`));
    try {
      expect((await podsOf(owner)).sort()).toEqual(orphans.map((sandbox) => sandbox.id).sort());
      const listsBefore = target.fake?.requestsTo("GET", `/api/v1/namespaces/${target.namespace}/pods`).length ?? 0;
      expect(await driverFor(target).sweep(owner)).toBe(2);
      for (const orphan of orphans) expect(await podExists(orphan.id)).toBe(false);
      expect(await podExists(neighbour.id)).toBe(true);
      expect(await driverFor(target).sweep(owner)).toBe(0);
      if (target.fake) {
        const lists = recorded(target).requestsTo("GET", `/api/v1/namespaces/${target.namespace}/pods`).slice(listsBefore);
        expect(lists[0]!.query).toEqual({
          labelSelector: [`app.kubernetes.io/managed-by=pushpals,app.kubernetes.io/component=sandbox,pushpals.owner=${labelValue(owner)}`],
        });
        const deleted = recorded(target)
          .requests.filter((request) => request.method === "DELETE")
          .map((request) => request.path.split("/").at(-1));
        expect(deleted).toEqual(expect.arrayContaining(orphans.map((sandbox) => sandbox.id)));
        expect(deleted).not.toContain(neighbour.id);
      }
    } finally {
      await neighbour.stop();
    }
  });

  it("reports an image that cannot be pulled with the pod's own explanation, and deletes the pod", async () => {
    const owner = "pull-failure-runner";
    const image = `${UNPULLABLE_REGISTRY}pushpals/no-such-image:1`;
    const failure = await expectConnectError(
      driverFor(target, { image, startTimeoutSeconds: PULL_TIMEOUT_SECONDS }).start(specFor(workspace.worktree, owner)),
      Code.FailedPrecondition,
      new RegExp(
        `^sandbox pod ${target.namespace}/pushpals-job-[a-z0-9-]+ failed to start: phase Pending.*container waiting: ImagePullBackOff.*event Failed: Failed to pull image "registry\\.invalid/pushpals/no-such-image:1".*check runner\\.kubernetes\\.image`,
        "s",
      ),
    );
    expect(failure.rawMessage).toContain(`kubectl -n ${target.namespace} describe pod pushpals-job-`);
    expect(await podsOf(owner)).toEqual([]);
    if (target.fake) expect(recorded(target).requestsTo("DELETE", /\/pods\/pushpals-job-/).length).toBeGreaterThan(0);
  });

  it("gives up on a pod that cannot be scheduled at the start timeout, says why, and deletes it", async () => {
    const owner = "unschedulable-runner";
    const startedAt = performance.now();
    await expectConnectError(
      driverFor(target, { cpu: "100000", startTimeoutSeconds: 2 }).start(specFor(workspace.worktree, owner)),
      Code.Unavailable,
      /did not start within 2 s: phase Pending, PodScheduled=False \(Unschedulable: 0\/\d+ nodes are available: .*Insufficient cpu.*event FailedScheduling/s,
    );
    expect(performance.now() - startedAt).toBeLessThan(2000 + 3000);
    expect(await podsOf(owner)).toEqual([]);
  });

  it("deletes the pod when start() is aborted", async () => {
    const owner = "aborted-runner";
    const controller = new AbortController();
    const starting = driverFor(target).start(specFor(workspace.worktree, owner), controller.signal);
    await waitFor("the pod to be created", async () => (await podsOf(owner)).length === 1, 10_000);
    controller.abort();
    const caught = await starting.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect((caught as Error).name).toBe("AbortError");
    await waitFor("the aborted pod to be gone", async () => (await podsOf(owner)).length === 0, 10_000);
  });

  it("says how to fix a missing namespace or an unreadable kubeconfig", async () => {
    const namespace = `pushpals-missing-${Date.now().toString(36)}`;
    await expectConnectError(
      driverFor(target, { namespace }).start(specFor(workspace.worktree, "namespace-runner")),
      Code.FailedPrecondition,
      new RegExp(`create namespace ${namespace} \\(kubectl create namespace ${namespace}\\) or set runner\\.kubernetes\\.namespace`),
    );
    const missing = join(workspace.dir.path, "no-kubeconfig.yaml");
    await expectConnectError(
      driverFor(target, { kubeconfig: missing }).start(specFor(workspace.worktree, "kubeconfig-runner")),
      Code.FailedPrecondition,
      /^cannot load .*no-kubeconfig\.yaml: .*set runner\.kubernetes\.kubeconfig \(PUSHPALS_KUBECONFIG\)/,
    );
  });

  it("is available only when the API answers", async () => {
    expect(await driverFor(target).available()).toBe(true);
    const unreachable = join(workspace.dir.path, "unreachable.json");
    await writeFile(
      unreachable,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "gone", cluster: { server: "http://127.0.0.1:9", "insecure-skip-tls-verify": true } }],
        users: [{ name: "u", user: {} }],
        contexts: [{ name: "gone", context: { cluster: "gone", user: "u" } }],
        "current-context": "gone",
      }),
    );
    expect(await driverFor(target, { kubeconfig: unreachable }).available()).toBe(false);
    expect(await driverFor(target, { kubeconfig: join(workspace.dir.path, "absent") }).available()).toBe(false);
  });

  onFake("takes the kubeconfig from the default loading (KUBECONFIG) when none is configured", async () => {
    const saved = process.env.KUBECONFIG;
    process.env.KUBECONFIG = target.kubeconfigPath;
    try {
      const sandbox = await driverFor(target, { kubeconfig: "" }).start(specFor(workspace.worktree, "default-kubeconfig-runner"));
      expect(await inPod(sandbox, "echo via KUBECONFIG")).toBe("via KUBECONFIG\n");
      await sandbox.stop();
    } finally {
      if (saved === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = saved;
    }
  });

  it("keeps a failing command's exit code apart from the API failing, and fails copies cleanly once the pod is gone", async () => {
    const sandbox = await driverFor(target).start(specFor(workspace.worktree, "exit-runner"));
    try {
      expect((await collect(sandbox.exec("exit 42"))).result.exitCode).toBe(42);
      await core.deleteNamespacedPod({ name: sandbox.id, namespace: target.namespace, gracePeriodSeconds: 0 });
      await waitFor("the pod to be gone", async () => !(await podExists(sandbox.id)), 20_000);
      await expectConnectError(sandbox.exec("true").result, Code.Unavailable, /could not exec in pod .*check the pod still runs/);
      await expectConnectError(sandbox.copyOut(workspace.worktree), Code.Unavailable, /could not exec in pod/);
      await expectConnectError(sandbox.copyIn(workspace.worktree), Code.Unavailable, /could not exec in pod/);
    } finally {
      await sandbox.stop();
    }
  });
});
