import { configSchema } from "../../../shared/config/schema.js";
import type { SupervisorSettings } from "../../../sandbox/kubernetes/settings.js";
import type { Requirement } from "../environment.js";
import { runtimeAvailable } from "./fake-pod-runtime.js";
import { startFakeKubeApi, type FakeKubeApi, type FakeKubeApiOptions } from "./fake-kube-api.js";

/**
 * Where these suites run: against the fake API (default), or against a real cluster when
 * PUSHPALS_TEST_KUBECONFIG names a kubeconfig. Behaviour assertions run on both; assertions
 * on the exact requests run only on the fake, which records them (`onFake`).
 */
export const REAL_KUBECONFIG = process.env.PUSHPALS_TEST_KUBECONFIG ?? "";
export const ON_REAL_CLUSTER = REAL_KUBECONFIG !== "";
const REAL_NAMESPACE = process.env.PUSHPALS_TEST_K8S_NAMESPACE ?? "pushpals-test";
/** Has sh, tar, head, setsid: all the driver needs in an image. */
const REAL_IMAGE = process.env.PUSHPALS_TEST_K8S_IMAGE ?? "busybox:1.36";
/** The fake's pods are host namespaces: the host's tools are their "image". */
const FAKE_IMAGE = "fake.registry/host-tools:latest";

export interface KubeTarget {
  namespace: string;
  image: string;
  kubeconfigPath: string;
  /** The fake, when the suite runs on it. */
  fake: FakeKubeApi | undefined;
  /** Supervisor settings for the driver, through the real config schema. */
  settings(kubernetes?: Record<string, unknown>): SupervisorSettings;
  close(): Promise<void>;
}

/** Where a suite runs: where the environment says, or always on the fake (suites that probe the host's /proc). */
export type KubePlace = "configured" | "fake";

export async function openKubeTarget(options: FakeKubeApiOptions = {}, place: KubePlace = "configured"): Promise<KubeTarget> {
  const fake = ON_REAL_CLUSTER && place === "configured" ? undefined : await startFakeKubeApi(options);
  const namespace = fake ? (options.namespaces?.[0] ?? "pushpals-test") : REAL_NAMESPACE;
  const image = fake ? FAKE_IMAGE : REAL_IMAGE;
  const kubeconfigPath = fake ? fake.kubeconfigPath : REAL_KUBECONFIG;
  return {
    namespace,
    image,
    kubeconfigPath,
    fake,
    settings: (kubernetes = {}) =>
      configSchema.parse({
        runner: { driver: "kubernetes", kubernetes: { namespace, image, kubeconfig: kubeconfigPath, cpu: "250m", memory: "128Mi", ...kubernetes } },
      }).runner,
    close: async () => fake?.close(),
  };
}

/** What the suites need: a real cluster, or bubblewrap and nsenter for the fake's pods. */
export async function kubeRequirement(place: KubePlace = "configured"): Promise<Requirement> {
  if (ON_REAL_CLUSTER && place === "configured") return { name: "a Kubernetes cluster", available: true, howToGet: "" };
  return {
    name: "bubblewrap, nsenter and setpriv with user namespaces (the fake Kubernetes API runs its pods in them)",
    available: await runtimeAvailable(),
    howToGet: "install bubblewrap and util-linux (apt-get install bubblewrap util-linux) and allow user namespaces",
  };
}

/** The fake, for assertions only it can make; call inside tests declared with `onFake`. */
export function recorded(target: KubeTarget): FakeKubeApi {
  if (!target.fake) throw new Error("request assertions need the fake Kubernetes API");
  return target.fake;
}
