import type { CoreV1Event, V1NetworkPolicy, V1Pod } from "@kubernetes/client-node";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { startPodRuntime, type PodRuntime } from "./fake-pod-runtime.js";
import { upgradeServer, type ServerSocket } from "./fake-ws.js";

/** One request the code under test sent, as the API server saw it. */
export interface RecordedRequest {
  method: string;
  path: string;
  /** Every query parameter, repeated ones in order (exec sends one `command` per argument). */
  query: Record<string, string[]>;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body, if any. */
  body: unknown;
  /** The HTTP status the fake answered (101 for an exec that was upgraded). */
  status?: number;
  /** For exec: the WebSocket subprotocol the fake chose. */
  protocol?: string;
}

export interface FakeKubeApiOptions {
  /** Namespaces that exist (others answer 404 like a real API server). */
  namespaces?: string[];
  /** Exec subprotocols the fake speaks, most preferred first. */
  execProtocols?: string[];
  /** The one node's capacity; pods requesting more stay Pending as Unschedulable. */
  node?: { cpuMillis: number; memoryMi: number };
  /** How long a scheduled pod shows ContainerCreating before it runs. */
  startDelayMs?: number;
  /** How long a deleted pod stays (Terminating) before it is gone. */
  terminatingMs?: number;
}

export interface FakeKubeApi {
  /** http://127.0.0.1:<port> */
  readonly server: string;
  /** A kubeconfig (with a bearer token) pointing at the fake. */
  readonly kubeconfigPath: string;
  readonly requests: RecordedRequest[];
  /** The stored pod, as the API would return it. */
  pod(namespace: string, name: string): V1Pod | undefined;
  podNames(namespace: string): string[];
  /** The host directory standing for a running pod's /workspace. */
  workspaceOf(namespace: string, name: string): string;
  networkPolicy(namespace: string, name: string): V1NetworkPolicy | undefined;
  /** Requests matching method and path (a string is matched exactly, a RegExp tested). */
  requestsTo(method: string, path: string | RegExp): RecordedRequest[];
  close(): Promise<void>;
}

/** A registry that does not exist: pods using it fail to pull, like a real bad image. */
export const UNPULLABLE_REGISTRY = "registry.invalid/";
const V5 = "v5.channel.k8s.io";
const V4 = "v4.channel.k8s.io";
/** What every container gets from the "image" and the cluster, as kubelet gives them. */
const IMAGE_ENV = { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", IMAGE_ONLY_VAR: "from-the-image" };
const CLUSTER_ENV = { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" };
const SERVICE_LINK_ENV = { PUSHPALS_API_SERVICE_HOST: "10.96.7.7", PUSHPALS_API_SERVICE_PORT: "3001" };

interface StoredPod {
  object: V1Pod;
  runtime?: PodRuntime;
  dir?: string;
  timers: NodeJS.Timeout[];
}

/**
 * A fake Kubernetes API server over HTTP that records every request and plays a minimal
 * kubelet: pods it creates are scheduled against one node, "pull" their image, run in
 * namespaces made by bubblewrap (fake-pod-runtime.ts) and become Running; exec really runs the
 * command in the pod over the channel protocol; delete kills the pod. Only what the sandbox
 * driver uses is served: pods (create, get, list by label, delete, exec), events and
 * NetworkPolicies.
 */
export async function startFakeKubeApi(options: FakeKubeApiOptions = {}): Promise<FakeKubeApi> {
  const namespaces = new Set(options.namespaces ?? ["pushpals-test"]);
  const protocols = options.execProtocols ?? [V5, V4];
  const node = options.node ?? { cpuMillis: 8000, memoryMi: 16384 };
  const startDelayMs = options.startDelayMs ?? 30;
  const terminatingMs = options.terminatingMs ?? 50;
  const root = await mkdtemp(join(tmpdir(), "pushpals-fake-kube-"));
  const requests: RecordedRequest[] = [];
  const pods = new Map<string, StoredPod>();
  const policies = new Map<string, V1NetworkPolicy>();
  const events: CoreV1Event[] = [];
  const sockets = new Set<ServerSocket>();
  let resourceVersion = 1;
  const key = (namespace: string, name: string) => `${namespace}/${name}`;
  const nextVersion = () => String((resourceVersion += 1));

  const event = (pod: V1Pod, type: "Normal" | "Warning", reason: string, message: string) =>
    events.push({
      metadata: { name: `${pod.metadata!.name}.${randomUUID().slice(0, 8)}`, namespace: pod.metadata!.namespace! },
      involvedObject: { kind: "Pod", name: pod.metadata!.name!, namespace: pod.metadata!.namespace! },
      type,
      reason,
      message,
    });

  const setStatus = (stored: StoredPod, status: V1Pod["status"]) => {
    stored.object.status = { ...stored.object.status, ...status };
    stored.object.metadata!.resourceVersion = nextVersion();
  };

  /** The kubelet's part: schedule, pull, check the security context, run. */
  const schedule = async (stored: StoredPod) => {
    const pod = stored.object;
    const container = pod.spec!.containers[0]!;
    const requested = container.resources?.requests ?? {};
    if (cpuMillis(requested.cpu) > node.cpuMillis || memoryMi(requested.memory) > node.memoryMi) {
      const what = cpuMillis(requested.cpu) > node.cpuMillis ? "cpu" : "memory";
      const message = `0/1 nodes are available: 1 Insufficient ${what}. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.`;
      setStatus(stored, { phase: "Pending", conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message }] });
      event(pod, "Warning", "FailedScheduling", message);
      return;
    }
    const image = container.image ?? "";
    setStatus(stored, {
      phase: "Pending",
      conditions: [{ type: "PodScheduled", status: "True" }],
      containerStatuses: [waiting(container.name, image, "ContainerCreating")],
    });
    event(pod, "Normal", "Scheduled", `Successfully assigned ${key(pod.metadata!.namespace!, pod.metadata!.name!)} to fake-node`);
    if (image.startsWith(UNPULLABLE_REGISTRY)) {
      const failure = `Failed to pull image "${image}": rpc error: code = Unknown desc = failed to resolve reference "${image}": not found`;
      setStatus(stored, { containerStatuses: [waiting(container.name, image, "ErrImagePull", failure)] });
      event(pod, "Warning", "Failed", failure);
      stored.timers.push(
        setTimeout(() => {
          setStatus(stored, { containerStatuses: [waiting(container.name, image, "ImagePullBackOff", `Back-off pulling image "${image}"`)] });
          event(pod, "Warning", "Failed", "Error: ImagePullBackOff");
        }, 100),
      );
      return;
    }
    const context = { ...pod.spec!.securityContext, ...container.securityContext };
    if (context.runAsNonRoot && !context.runAsUser) {
      const message = "container has runAsNonRoot and image will run as root";
      setStatus(stored, { containerStatuses: [waiting(container.name, image, "CreateContainerConfigError", message)] });
      event(pod, "Warning", "Failed", `Error: ${message}`);
      return;
    }
    await new Promise((resolve) => stored.timers.push(setTimeout(resolve, startDelayMs)));
    if (!pods.has(key(pod.metadata!.namespace!, pod.metadata!.name!)) || pod.metadata!.deletionTimestamp) return;
    const env: Record<string, string> = { ...IMAGE_ENV, HOSTNAME: pod.metadata!.name!, ...CLUSTER_ENV };
    if (pod.spec!.enableServiceLinks !== false) Object.assign(env, SERVICE_LINK_ENV);
    for (const variable of container.env ?? []) env[variable.name] = variable.value ?? "";
    stored.dir = await mkdtemp(join(root, `${pod.metadata!.name}-`));
    stored.runtime = await startPodRuntime(stored.dir, {
      name: pod.metadata!.name!,
      command: [...(container.command ?? ["sleep", "3600"]), ...(container.args ?? [])],
      uid: context.runAsUser ?? 0,
      gid: context.runAsGroup ?? context.runAsUser ?? 0,
      readOnlyRoot: context.readOnlyRootFilesystem === true,
      noNewPrivileges: context.allowPrivilegeEscalation === false,
      serviceAccountToken: pod.spec!.automountServiceAccountToken !== false,
      workingDir: container.workingDir ?? "/",
      env,
    });
    const startedAt = new Date();
    setStatus(stored, {
      phase: "Running",
      startTime: startedAt,
      conditions: [
        { type: "PodScheduled", status: "True" },
        { type: "Initialized", status: "True" },
        { type: "ContainersReady", status: "True" },
        { type: "Ready", status: "True" },
      ],
      containerStatuses: [{ name: container.name, image, imageID: image, ready: true, restartCount: 0, started: true, state: { running: { startedAt } } }],
    });
    event(pod, "Normal", "Started", "Started container sandbox");
    void stored.runtime.exited.then((exitCode) => {
      if (pod.metadata!.deletionTimestamp) return;
      setStatus(stored, {
        phase: exitCode === 0 ? "Succeeded" : "Failed",
        containerStatuses: [
          { name: container.name, image, imageID: image, ready: false, restartCount: 0, state: { terminated: { exitCode, reason: exitCode === 0 ? "Completed" : "Error" } } },
        ],
      });
    });
    const deadline = pod.spec!.activeDeadlineSeconds;
    if (deadline) {
      const timer = setTimeout(() => {
        setStatus(stored, { phase: "Failed", reason: "DeadlineExceeded", message: `Pod was active on the node longer than the specified deadline` });
        void stored.runtime?.kill();
      }, deadline * 1000);
      timer.unref();
      stored.timers.push(timer);
    }
  };

  const removePod = async (stored: StoredPod) => {
    stored.timers.forEach(clearTimeout);
    await stored.runtime?.kill();
    if (stored.dir) await rm(stored.dir, { recursive: true, force: true });
  };

  const routes: Route[] = [
    { method: "GET", path: /^\/version$/, handle: () => ok({ major: "1", minor: "31", gitVersion: "v1.31.0-fake", platform: "linux/amd64" }) },
    {
      method: "POST",
      path: /^\/api\/v1\/namespaces\/([^/]+)\/pods$/,
      handle: ([namespace], body) => {
        const pod = body as V1Pod;
        const name = pod?.metadata?.name ?? "";
        if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63) return status(422, "Invalid", `Pod "${name}" is invalid: metadata.name: Invalid value`);
        if (!pod.spec?.containers?.length) return status(422, "Invalid", `Pod "${name}" is invalid: spec.containers: Required value`);
        if (pods.has(key(namespace, name))) return status(409, "AlreadyExists", `pods "${name}" already exists`);
        const stored: StoredPod = {
          object: {
            ...pod,
            metadata: { ...pod.metadata, namespace, uid: randomUUID(), creationTimestamp: new Date(), resourceVersion: nextVersion() },
            status: { phase: "Pending", qosClass: "Guaranteed" },
          },
          timers: [],
        };
        pods.set(key(namespace, name), stored);
        stored.timers.push(setTimeout(() => void schedule(stored).catch((error: Error) => setStatus(stored, { phase: "Failed", message: error.message })), 1));
        return { code: 201, body: stored.object };
      },
    },
    {
      method: "GET",
      path: /^\/api\/v1\/namespaces\/([^/]+)\/pods$/,
      handle: ([namespace], _body, query) => {
        const selector = parseSelector(query.labelSelector?.[0] ?? "");
        if (selector instanceof Error) return status(400, "BadRequest", selector.message);
        const items = [...pods.values()].map((stored) => stored.object).filter((pod) => pod.metadata!.namespace === namespace && selector(pod.metadata!.labels ?? {}));
        return ok({ kind: "PodList", apiVersion: "v1", metadata: { resourceVersion: String(resourceVersion) }, items });
      },
    },
    {
      method: "GET",
      path: /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/,
      handle: ([namespace, name]) => {
        const stored = pods.get(key(namespace, name));
        return stored ? ok(stored.object) : status(404, "NotFound", `pods "${name}" not found`);
      },
    },
    {
      method: "DELETE",
      path: /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/,
      handle: ([namespace, name], _body, query) => {
        const stored = pods.get(key(namespace, name));
        if (!stored) return status(404, "NotFound", `pods "${name}" not found`);
        const grace = Number(query.gracePeriodSeconds?.[0] ?? stored.object.spec?.terminationGracePeriodSeconds ?? 30);
        if (!stored.object.metadata!.deletionTimestamp) {
          stored.object.metadata!.deletionTimestamp = new Date();
          stored.object.metadata!.deletionGracePeriodSeconds = grace;
          stored.object.metadata!.resourceVersion = nextVersion();
          void removePod(stored).then(() => setTimeout(() => pods.delete(key(namespace, name)), terminatingMs));
        }
        return ok(stored.object);
      },
    },
    {
      method: "GET",
      path: /^\/api\/v1\/namespaces\/([^/]+)\/events$/,
      handle: ([namespace], _body, query) => {
        const field = /^involvedObject\.name=(.+)$/.exec(query.fieldSelector?.[0] ?? "")?.[1];
        const items = events.filter((item) => item.metadata.namespace === namespace && (field === undefined || item.involvedObject.name === field));
        return ok({ kind: "EventList", apiVersion: "v1", metadata: {}, items });
      },
    },
    {
      method: "GET",
      path: /^\/apis\/networking\.k8s\.io\/v1\/namespaces\/([^/]+)\/networkpolicies\/([^/]+)$/,
      handle: ([namespace, name]) => {
        const policy = policies.get(key(namespace, name));
        return policy ? ok(policy) : status(404, "NotFound", `networkpolicies.networking.k8s.io "${name}" not found`);
      },
    },
    {
      method: "POST",
      path: /^\/apis\/networking\.k8s\.io\/v1\/namespaces\/([^/]+)\/networkpolicies$/,
      handle: ([namespace], body) => {
        const policy = body as V1NetworkPolicy;
        const name = policy?.metadata?.name ?? "";
        if (policies.has(key(namespace, name))) return status(409, "AlreadyExists", `networkpolicies.networking.k8s.io "${name}" already exists`);
        const stored = { ...policy, metadata: { ...policy.metadata, namespace, uid: randomUUID(), resourceVersion: nextVersion() } };
        policies.set(key(namespace, name), stored);
        return { code: 201, body: stored };
      },
    },
  ];

  const server = createServer({ maxHeaderSize: 1024 * 1024 }, (request, response) => {
    void readBody(request).then((text) => {
      const url = new URL(request.url ?? "/", "http://fake");
      const query = queryOf(url);
      let body: unknown;
      try {
        body = text === "" ? undefined : JSON.parse(text);
      } catch {
        body = text;
      }
      const recorded: RecordedRequest = { method: request.method ?? "", path: url.pathname, query, headers: request.headers, body };
      requests.push(recorded);
      const reply = (answer: Reply) => {
        recorded.status = answer.code;
        send(response, answer);
      };
      const namespace = /^\/apis?\/(?:[^/]+\/)*namespaces\/([^/]+)\//.exec(url.pathname)?.[1];
      if (namespace !== undefined && !namespaces.has(namespace)) return reply(status(404, "NotFound", `namespaces "${namespace}" not found`));
      for (const route of routes) {
        const match = route.path.exec(url.pathname);
        if (match && route.method === request.method) return reply(route.handle(match.slice(1) as [string, string], body, query));
      }
      reply(status(404, "NotFound", `the fake API does not serve ${request.method} ${url.pathname}`));
    });
  });

  const upgrades = upgradeServer((offered) => protocols.find((protocol) => offered.has(protocol)) ?? false);
  server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? "/", "http://fake");
    const query = queryOf(url);
    const recorded: RecordedRequest = { method: request.method ?? "", path: url.pathname, query, headers: request.headers, body: undefined };
    requests.push(recorded);
    const match = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec$/.exec(url.pathname);
    const stored = match ? pods.get(key(match[1]!, match[2]!)) : undefined;
    const refuse = (reply: Reply) => {
      recorded.status = reply.code;
      const text = JSON.stringify(reply.body);
      socket.end(`HTTP/1.1 ${reply.code} Refused\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`);
    };
    if (!match || !stored) return refuse(status(404, "NotFound", `pods "${match?.[2] ?? "?"}" not found`));
    const runtime = stored.runtime;
    if (!runtime || stored.object.status?.phase !== "Running" || stored.object.metadata!.deletionTimestamp) {
      return refuse(status(400, "BadRequest", `pod ${match[2]} is not running (phase ${stored.object.status?.phase})`));
    }
    if (query.container?.[0] !== stored.object.spec!.containers[0]!.name) {
      return refuse(status(400, "BadRequest", `container ${query.container?.[0]} is not valid for pod ${match[2]}`));
    }
    const command = query.command ?? [];
    if (command.length === 0) return refuse(status(400, "BadRequest", "you must specify at least one command for the container"));
    upgrades.handleUpgrade(request, socket, head, (ws) => {
      recorded.status = 101;
      recorded.protocol = ws.protocol;
      sockets.add(ws);
      ws.on("close", () => sockets.delete(ws));
      execInPod(ws, runtime, command, query.stdin?.[0] === "true");
    });
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kubeconfigPath = join(root, "kubeconfig.json");
  await writeFile(kubeconfigPath, JSON.stringify(kubeconfig(serverUrl, [...namespaces][0]!)));

  return {
    server: serverUrl,
    kubeconfigPath,
    requests,
    pod: (namespace, name) => pods.get(key(namespace, name))?.object,
    podNames: (namespace) =>
      [...pods.values()]
        .map((stored) => stored.object.metadata!)
        .filter((meta) => meta.namespace === namespace)
        .map((meta) => meta.name!),
    workspaceOf(namespace, name) {
      const runtime = pods.get(key(namespace, name))?.runtime;
      if (!runtime) throw new Error(`fake pod ${namespace}/${name} is not running`);
      return runtime.workspace;
    },
    networkPolicy: (namespace, name) => policies.get(key(namespace, name)),
    requestsTo: (method, path) => requests.filter((request) => request.method === method && (typeof path === "string" ? request.path === path : path.test(request.path))),
    async close() {
      for (const ws of sockets) ws.terminate();
      upgrades.close();
      await Promise.all([...pods.values()].map(removePod));
      pods.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(root, { recursive: true, force: true });
    },
  };
}

/**
 * The exec channel protocol as kubelet speaks it: the first byte of each binary message is
 * the channel (0 stdin, 1 stdout, 2 stderr, 3 status, 255 close on v5); the status is a
 * Status object, NonZeroExitCode with the code in details.causes when the command failed.
 * Like kubelet, closing the socket does not stop the process.
 */
function execInPod(ws: ServerSocket, runtime: PodRuntime, command: string[], withStdin: boolean): void {
  const child = runtime.exec(command, withStdin);
  const frame = (channel: number, data: Buffer) => {
    if (ws.readyState === 1) ws.send(Buffer.concat([Buffer.from([channel]), data]));
  };
  child.stdin?.on("error", () => {});
  ws.on("message", (data) => {
    const channel = data[0];
    if (channel === 0) child.stdin?.write(data.subarray(1));
    else if (channel === 255 && data[1] === 0) child.stdin?.end();
  });
  child.stdout!.on("data", (data: Buffer) => frame(1, data));
  child.stderr!.on("data", (data: Buffer) => frame(2, data));
  child.once("close", (code, signal) => {
    const exitCode = code ?? 128 + (signal === "SIGKILL" ? 9 : signal === "SIGTERM" ? 15 : 0);
    const result =
      exitCode === 0
        ? { metadata: {}, status: "Success" }
        : {
            metadata: {},
            status: "Failure",
            message: `command terminated with non-zero exit code: error executing command [${command.join(" ")}], exit code ${exitCode}`,
            reason: "NonZeroExitCode",
            details: { causes: [{ reason: "ExitCode", message: String(exitCode) }] },
          };
    frame(3, Buffer.from(JSON.stringify(result)));
    ws.close(1000);
  });
}

interface Reply {
  code: number;
  body: unknown;
}

interface Route {
  method: string;
  path: RegExp;
  handle(params: [string, string], body: unknown, query: Record<string, string[]>): Reply;
}

function ok(body: unknown): Reply {
  return { code: 200, body };
}

function status(code: number, reason: string, message: string): Reply {
  return { code, body: { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code } };
}

function send(response: ServerResponse, reply: Reply): void {
  const text = JSON.stringify(reply.body);
  response.writeHead(reply.code, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.end(text);
}

function waiting(name: string, image: string, reason: string, message?: string) {
  return { name, image, imageID: "", ready: false, restartCount: 0, state: { waiting: { reason, ...(message ? { message } : {}) } } };
}

function queryOf(url: URL): Record<string, string[]> {
  const query: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) (query[name] ??= []).push(value);
  return query;
}

/** Equality-based selectors only (`a=b,c!=d`), which is all the driver sends. */
function parseSelector(text: string): ((labels: Record<string, string>) => boolean) | Error {
  const tests: ((labels: Record<string, string>) => boolean)[] = [];
  for (const term of text.split(",").filter(Boolean)) {
    const match = /^([A-Za-z0-9./_-]+)\s*(!=|==|=)\s*([A-Za-z0-9._-]*)$/.exec(term);
    if (!match) return new Error(`unable to parse requirement: ${term}`);
    const [, label, operator, value] = match;
    tests.push(operator === "!=" ? (labels) => labels[label!] !== value : (labels) => labels[label!] === value);
  }
  return (labels) => tests.every((test) => test(labels));
}

function cpuMillis(quantity: string | undefined): number {
  if (!quantity) return 0;
  return quantity.endsWith("m") ? Number(quantity.slice(0, -1)) : Number(quantity) * 1000;
}

function memoryMi(quantity: string | undefined): number {
  if (!quantity) return 0;
  const match = /^([0-9.]+)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(quantity);
  if (!match) return Number.POSITIVE_INFINITY;
  const scale: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024, Ti: 1024 * 1024, k: 1000 / 1048576, M: 1e6 / 1048576, G: 1e9 / 1048576, T: 1e12 / 1048576 };
  return Number(match[1]) * (match[2] ? scale[match[2]]! : 1 / 1048576);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function kubeconfig(server: string, namespace: string) {
  return {
    apiVersion: "v1",
    kind: "Config",
    // client-node refuses plain HTTP unless TLS verification is explicitly off.
    clusters: [{ name: "fake", cluster: { server, "insecure-skip-tls-verify": true } }],
    users: [{ name: "fake-runner", user: { token: "fake-runner-token" } }],
    contexts: [{ name: "fake", context: { cluster: "fake", user: "fake-runner", namespace } }],
    "current-context": "fake",
  };
}
