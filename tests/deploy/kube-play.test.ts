import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { stringify } from "yaml";
import { createClients } from "../../shared/clients.js";
import { freePort } from "../../cli/free-port.js";
import { describeIfAvailable } from "../sandbox/environment.js";
import { tempDir, type TempDir } from "../support/tmp.js";
import { buildImages, buildStandIns, podmanCode, podmanRequirement } from "./support/images.js";
import { onePodOf } from "./support/kube-pod.js";
import { byKind, named, renderKustomization } from "./support/kustomize.js";

const requirement = await podmanRequirement();
describeIfAvailable("podman kube play of the rendered dev overlay: the control plane with its Postgres and NATS reaches SERVING", requirement, () => {
  let dir: TempDir;
  let manifest: string;
  const podName = `pushpals-kube-${process.pid}`;

  beforeAll(async () => {
    await buildImages();
    await buildStandIns();
    dir = await tempDir("pushpals-kube-play-");
  }, 25 * 60_000);

  afterAll(async () => {
    if (manifest) await podmanCode(["kube", "down", manifest]);
    await dir?.remove();
  }, 60_000);

  it("starts the rendered Deployment's container beside the rendered StatefulSets' and answers health and an authenticated RPC through the store and the bus", async () => {
    const objects = await renderKustomization("overlays/dev");
    const config = (named(objects, "ConfigMap", byKind(objects, "ConfigMap").find((c) => c.metadata.name.startsWith("pushpals-config"))!.metadata.name).data ?? {}) as Record<
      string,
      string
    >;
    const profile = join(dir.path, "kubernetes.toml");
    await writeFile(profile, config["kubernetes.toml"]!);
    const hostPort = await freePort();
    const pod = onePodOf(objects, [named(objects, "StatefulSet", "postgres"), named(objects, "StatefulSet", "nats"), named(objects, "Deployment", "pushpals-control-plane")], {
      name: podName,
      configFiles: { "kubernetes.toml": profile },
      hostPort,
      serviceNames: ["postgres", "nats"],
    });
    manifest = join(dir.path, "pod.yaml");
    await writeFile(manifest, stringify(pod));
    const played = await podmanCode(["kube", "play", manifest]);
    expect(played.code, played.output).toBe(0);

    const url = `http://127.0.0.1:${hostPort}`;
    const deadline = Date.now() + 90_000;
    let status = "";
    while (Date.now() < deadline) {
      status = await fetch(`${url}/grpc.health.v1.Health/Check`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })
        .then((response) => response.json() as Promise<{ status?: string }>)
        .then(
          (body) => body.status ?? "",
          () => "",
        );
      if (status === "SERVING") break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const logs = async () => (await podmanCode(["logs", `${podName}-control-plane`])).output.slice(-3000);
    expect(status, await logs()).toBe("SERVING");

    const secret = named(objects, "Secret", "pushpals-secrets").data as Record<string, string>;
    const token = Buffer.from(secret["auth-token"]!.replace(/\s/g, ""), "base64").toString("utf8");
    const clients = createClients(url, { token });
    const { session } = await clients.sessions.createSession({ title: "kube play" });
    expect(session?.id).toMatch(/^ses/);
    const listed = await clients.sessions.listSessions({});
    expect(listed.sessions.map((s) => s.id)).toContain(session!.id);
    const output = await logs();
    expect(output).toContain('"store":"postgres"');
    expect(output).toContain('"bus":"nats"');
    expect(output, "the rendered container runs as the rendered uid").not.toContain("EACCES");
  }, 180_000);
});
