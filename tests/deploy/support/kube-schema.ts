import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { promisify } from "node:util";
import { packageRoot } from "../../../shared/paths.js";
import type { KubeObject } from "./kustomize.js";

const run = promisify(execFile);
const require = createRequire(import.meta.url);

/**
 * The Kubernetes API pinned by the kubernetes-models devDependency (4.5.1: the OpenAPI of
 * Kubernetes 1.31+, with ImageVolumeSource). Two checks per object, both from that one package:
 * its ajv validators compiled from the OpenAPI definitions (types, required fields, formats),
 * and — because those validators let unknown fields through — its TypeScript declarations of
 * the same definitions, compiled with excess-property checks, which refuse any field the API
 * does not have, at any depth.
 */
export const PINNED_MODELS = "kubernetes-models@4.5.1";

/** `apps/v1` + `Deployment` → `kubernetes-models/apps/v1/Deployment`; the core group is `v1`. */
export function modelModule(object: Pick<KubeObject, "apiVersion" | "kind">): string {
  return `kubernetes-models/${object.apiVersion}/${object.kind}`;
}

/** The OpenAPI validation of one object; returns the problems (empty when valid). */
export function openApiProblems(object: KubeObject): string[] {
  let Model: new (data: unknown) => { validate(): void };
  try {
    const module = require(modelModule(object)) as Record<string, new (data: unknown) => { validate(): void }>;
    Model = module[object.kind]!;
  } catch {
    return [`${object.apiVersion} ${object.kind} is not a kind of the pinned API`];
  }
  try {
    new Model(secretDataAsDecoded(object)).validate();
    return [];
  } catch (error) {
    return [(error as Error).message];
  }
}

/**
 * kustomize wraps long base64 values of a Secret's data at 76 columns (a YAML block with
 * newlines); the API server's base64 decoder skips line breaks, the schema's `byte` format does
 * not. Checked as the server reads it.
 */
function secretDataAsDecoded(object: KubeObject): KubeObject {
  if (object.kind !== "Secret" || typeof object.data !== "object" || object.data === null) return object;
  const data = Object.fromEntries(Object.entries(object.data as Record<string, string>).map(([key, value]) => [key, value.replace(/[\r\n]/g, "")]));
  return { ...object, data };
}

/**
 * Type-checks every object against its declared interface with the project's tsc; returns
 * tsc's diagnostics (empty when every object has only fields the API defines, of the right types).
 */
export async function unknownFieldProblems(objects: readonly KubeObject[], dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  // Each object's first line in objects.ts, so a diagnostic can name its object.
  const firstLines: number[] = [];
  let line = 1;
  const chunks = objects.map((object, index) => {
    const chunk = `import type { I${object.kind} as T${index} } from "${modelModule(object)}";\nexport const o${index}: T${index} = ${JSON.stringify(object, null, 1)};\n`;
    firstLines.push(line);
    line += chunk.split("\n").length - 1;
    return chunk;
  });
  await writeFile(join(dir, "objects.ts"), chunks.join(""));
  const models = join(packageRoot(), "node_modules", "kubernetes-models");
  await writeFile(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        module: "nodenext",
        moduleResolution: "nodenext",
        target: "es2022",
        types: [],
        paths: { "kubernetes-models/*": [`${models}/*`] },
      },
      files: ["objects.ts"],
    }),
  );
  const tsc = join(packageRoot(), "node_modules", ".bin", "tsc");
  const output = await run(tsc, ["-p", join(dir, "tsconfig.json")], { maxBuffer: 16 * 1024 * 1024 }).then(
    () => "",
    (error: { stdout?: string; stderr?: string }) => `${error.stdout ?? ""}${error.stderr ?? ""}`,
  );
  return output
    .split("\n")
    .filter((text) => /error TS\d+/.test(text))
    .map((text) => {
      const at = Number(/objects\.ts\((\d+),/.exec(text)?.[1] ?? 0);
      const index = firstLines.findLastIndex((first) => first <= at);
      const object = objects[index];
      return object ? `${object.kind}/${object.metadata.name}: ${text}` : text;
    });
}
