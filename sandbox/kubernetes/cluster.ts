import { CoreV1Api, KubeConfig, NetworkingV1Api, VersionApi } from "@kubernetes/client-node";
import { errorMessage, failedPrecondition } from "../../shared/errors.js";

/** The API clients of one cluster, made from one kubeconfig. */
export interface Cluster {
  kubeConfig: KubeConfig;
  /** The API server's URL, for messages. */
  server: string;
  core: CoreV1Api;
  networking: NetworkingV1Api;
  version: VersionApi;
}

/**
 * `path` (runner.kubernetes.kubeconfig, PUSHPALS_KUBECONFIG) when set; otherwise the
 * client's default loading: KUBECONFIG, then ~/.kube/config, then the in-cluster service account.
 */
export function connectCluster(path: string): Cluster {
  const kubeConfig = new KubeConfig();
  const source = path === "" ? "the default kubeconfig (KUBECONFIG, ~/.kube/config or in-cluster)" : path;
  try {
    if (path === "") kubeConfig.loadFromDefault();
    else kubeConfig.loadFromFile(path);
  } catch (error) {
    throw failedPrecondition(`cannot load ${source}: ${errorMessage(error)}; set runner.kubernetes.kubeconfig (PUSHPALS_KUBECONFIG) to a readable kubeconfig file`);
  }
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) {
    throw failedPrecondition(`${source} names no current cluster; set its current-context, or point runner.kubernetes.kubeconfig at another file`);
  }
  return {
    kubeConfig,
    server: cluster.server,
    core: kubeConfig.makeApiClient(CoreV1Api),
    networking: kubeConfig.makeApiClient(NetworkingV1Api),
    version: kubeConfig.makeApiClient(VersionApi),
  };
}
