import type { KubeObject } from "./kustomize.js";

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    configMapKeyRef?: { name: string; key: string };
    fieldRef?: { fieldPath: string };
  };
}
interface Container {
  name: string;
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number; hostPort?: number }[];
  volumeMounts?: { name: string; mountPath: string; subPath?: string; readOnly?: boolean }[];
  [field: string]: unknown;
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: { name: string; [source: string]: unknown }[];
  securityContext?: Record<string, unknown>;
  [field: string]: unknown;
}

/**
 * podman kube play runs Pods and Deployments but not StatefulSets, Services or cluster DNS, and
 * this podman (4.3) resolves neither Secret references nor ConfigMap volumes. So the rendered
 * workloads become the containers of ONE pod, unchanged but for what only a cluster provides:
 * env references are resolved from the rendered ConfigMaps and Secrets, a ConfigMap file mount
 * becomes a host file, a volume claim an emptyDir, and the Service names resolve to the pod's
 * own loopback (hostAliases). This podman publishes every containerPort on the host, so only the
 * control plane's port stays (on a free host port) and probes name port numbers, not names.
 * Images, commands, args, env values, security contexts and probes otherwise stay as rendered.
 */
export function onePodOf(
  objects: readonly KubeObject[],
  workloads: readonly KubeObject[],
  options: { name: string; configFiles: Record<string, string>; hostPort: number; serviceNames: string[] },
): KubeObject {
  const configMaps = new Map(objects.filter((o) => o.kind === "ConfigMap").map((o) => [o.metadata.name, (o.data ?? {}) as Record<string, string>]));
  const secrets = new Map(
    objects
      .filter((o) => o.kind === "Secret")
      .map((o) => [
        o.metadata.name,
        Object.fromEntries(Object.entries((o.data ?? {}) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v.replace(/\s/g, ""), "base64").toString("utf8")])),
      ]),
  );
  const resolve = (variable: EnvVar): EnvVar | undefined => {
    const from = variable.valueFrom;
    if (!from) return variable;
    if (from.secretKeyRef) {
      const value = secrets.get(from.secretKeyRef.name)?.[from.secretKeyRef.key];
      if (value === undefined && from.secretKeyRef.optional) return undefined;
      if (value === undefined) throw new Error(`${variable.name}: no key ${from.secretKeyRef.key} in Secret ${from.secretKeyRef.name}`);
      return { name: variable.name, value };
    }
    if (from.configMapKeyRef) return { name: variable.name, value: configMaps.get(from.configMapKeyRef.name)![from.configMapKeyRef.key]! };
    if (from.fieldRef?.fieldPath === "metadata.name") return { name: variable.name, value: options.name };
    throw new Error(`${variable.name}: cannot resolve ${JSON.stringify(from)}`);
  };
  const containers: Container[] = [];
  const volumes: PodSpec["volumes"] = [];
  for (const workload of workloads) {
    const spec = workload.spec as { template: { spec: PodSpec }; volumeClaimTemplates?: { metadata: { name: string } }[] };
    const pod = spec.template.spec;
    const prefix = `${workload.metadata.name}-`;
    const volumeName = (name: string) => `${prefix}${name}`;
    for (const volume of pod.volumes ?? []) {
      if ("configMap" in volume) continue;
      volumes.push({ ...volume, name: volumeName(volume.name) });
    }
    for (const claim of spec.volumeClaimTemplates ?? []) volumes.push({ name: volumeName(claim.metadata.name), emptyDir: {} });
    for (const container of pod.containers) {
      const fromMaps = (container.envFrom ?? []).flatMap((source) => {
        const map = source.configMapRef ? configMaps.get(source.configMapRef.name) : secrets.get(source.secretRef!.name);
        return Object.entries(map ?? {}).map(([name, value]) => ({ name, value }));
      });
      const env = [...fromMaps, ...(container.env ?? []).map(resolve).filter((v): v is EnvVar => v !== undefined)];
      const mounts = (container.volumeMounts ?? []).map((mount) => {
        const source = (pod.volumes ?? []).find((v) => v.name === mount.name);
        if (source && "configMap" in source) {
          const file = options.configFiles[mount.subPath ?? ""];
          if (!file) throw new Error(`no host file for ConfigMap mount ${mount.mountPath}`);
          const name = volumeName(`${mount.name}-${mount.subPath}`).replace(/[^a-z0-9-]/g, "-");
          volumes.push({ name, hostPath: { path: file, type: "File" } });
          return { name, mountPath: mount.mountPath, readOnly: true };
        }
        return { ...mount, name: volumeName(mount.name) };
      });
      const { envFrom: _envFrom, ports, ...rest } = container;
      const portNumber = (port: unknown) => (typeof port === "string" ? ports?.find((p) => p.name === port)?.containerPort : port);
      const probe = (value: unknown) => {
        if (typeof value !== "object" || value === null) return value;
        const copy = structuredClone(value) as Record<string, { port?: unknown }>;
        for (const handler of ["httpGet", "tcpSocket", "grpc"]) if (copy[handler]) copy[handler].port = portNumber(copy[handler].port);
        return copy;
      };
      const published = ports?.filter((port) => port.containerPort === 3001).map((port) => ({ ...port, hostPort: options.hostPort }));
      containers.push({
        ...rest,
        ...(rest.readinessProbe ? { readinessProbe: probe(rest.readinessProbe) } : {}),
        ...(rest.livenessProbe ? { livenessProbe: probe(rest.livenessProbe) } : {}),
        // The pod's security context moves onto each container: the workloads differ in uid.
        securityContext: { ...pod.securityContext, ...(container.securityContext as object) },
        env,
        volumeMounts: mounts,
        ...(published && published.length > 0 ? { ports: published } : {}),
      });
    }
  }
  for (const container of containers) {
    const security = container.securityContext as Record<string, unknown>;
    // fsGroup exists on pods only; the images own their data directories instead.
    delete security.fsGroup;
  }
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: options.name },
    spec: {
      hostAliases: [{ ip: "127.0.0.1", hostnames: options.serviceNames }],
      containers,
      volumes,
      // A Deployment restarts its containers; the control plane exits until Postgres accepts connections.
      restartPolicy: "Always",
    },
  };
}
