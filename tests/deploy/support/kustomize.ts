import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import { packageRoot } from "../../../shared/paths.js";

const run = promisify(execFile);

/** One rendered Kubernetes object, as `kubectl kustomize` prints it. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

export const K8S_DIR = join(packageRoot(), "deploy", "k8s");

/** `kubectl kustomize deploy/k8s/<dir>`, parsed: fails the test when kustomize refuses the tree. */
export async function renderKustomization(dir: string): Promise<KubeObject[]> {
  const { stdout } = await run("kubectl", ["kustomize", join(K8S_DIR, dir)], { maxBuffer: 32 * 1024 * 1024 });
  return parseAllDocuments(stdout).map((document) => {
    if (document.errors.length > 0) throw new Error(`kubectl kustomize ${dir} printed invalid YAML: ${document.errors[0]!.message}`);
    return document.toJS() as KubeObject;
  });
}

export function byKind(objects: readonly KubeObject[], kind: string): KubeObject[] {
  return objects.filter((object) => object.kind === kind);
}

export function named(objects: readonly KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(", ")}`);
  return found;
}
