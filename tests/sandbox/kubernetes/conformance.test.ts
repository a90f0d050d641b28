import { afterAll, beforeAll } from "vitest";
import { createLogger } from "../../../shared/log.js";
import { createKubernetesDriver } from "../../../sandbox/kubernetes/kubernetes-driver.js";
import { describeDriverConformance } from "../conformance.js";
import { kubeRequirement, openKubeTarget, type KubeTarget } from "./kube-target.js";

/**
 * The shared driver conformance suite, against the kubernetes driver and the fake API, in every
 * run. A pod holds a copy of the worktree rather than a mount (`workspace: "copied"`): writes
 * come back with copyOut, copyIn of another directory replaces the pod's copy, a cwd missing in
 * the pod is refused through the result, and clean-ups happen in the pod too.
 *
 * Always against the fake, even when PUSHPALS_TEST_KUBECONFIG names a real cluster: the suite's
 * host-side process probes (/proc of this host) and its "only loopback" check hold only for the
 * fake's pods, which are host namespaces. The other kubernetes suites run on a real cluster.
 */
let target: KubeTarget | undefined;
beforeAll(async () => {
  target = await openKubeTarget({}, "fake");
});
afterAll(async () => target?.close());
describeDriverConformance("kubernetes", await kubeRequirement("fake"), () => createKubernetesDriver(target!.settings(), createLogger("conformance")), {
  isolated: true,
  hasGit: true,
  tcpProbe: (port) => `timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port}'`,
  sequentialExecs: 15,
  workspace: "copied",
});
