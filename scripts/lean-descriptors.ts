/**
 * An esbuild plugin for scripts/bundle-cli.ts: in chosen modules, imports of generated code
 * (gen/pushpals/…_pb.js) are replaced by one module holding only the descriptors that module
 * uses. Decoding the embedded descriptors is most of what `pushpals status` spends at start:
 * its three services reach, through ExecutionService's event-carrying methods, the events,
 * approvals and autonomy files — ~50 ms of CPU for calls that never touch an event.
 *
 * A lean module keeps, per generated file, the top-level messages and enums reachable from
 * what the importer names (schemas, services' listed methods), with all their nested types,
 * under the same file and type names, so messages decode, encode and print as JSON exactly as
 * with the full descriptors. Enums the importer uses as TypeScript values are copied as the
 * same objects; an importer that only uses enums gets no descriptor at all.
 */
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { clone, createFileRegistry, type DescEnum, type DescExtension, type DescFile, type DescMessage, type DescMethod, type DescService } from "@bufbuild/protobuf";
import { embedFileDesc, pathInFileDesc } from "@bufbuild/protobuf/codegenv2";
import { FileDescriptorProtoSchema, type DescriptorProto, type FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import type { Plugin } from "esbuild";

export interface LeanImporter {
  /** Repo-relative source whose gen/ imports become one lean module. */
  importer: string;
  /** Methods it calls, for each service it imports; a service not listed keeps every method. */
  methods?: DescMethod[];
}

type Named = DescMessage | DescEnum | DescService;

/** Names a source imports as values from generated files (type-only imports are erased anyway), with the file each comes from. */
function genValueImports(root: string, importer: string): { name: string; file: string }[] {
  const source = readFileSync(join(root, importer), "utf8");
  const found: { name: string; file: string }[] = [];
  for (const match of source.matchAll(/\bimport\s+(type\s+)?\{([^}]*)\}\s*from\s*"([^"]*\/gen\/[^"]*_pb\.js)"/g)) {
    if (match[1]) continue;
    const file = join(dirname(join(root, importer)), match[3]!).replace(/\.js$/, ".ts");
    for (const part of match[2]!.split(",")) {
      const name = part.trim().split(/\s+as\s+/)[0]!;
      if (name && !name.startsWith("type ")) found.push({ name, file });
    }
  }
  return found;
}

function isDesc(value: unknown): value is Named | DescFile | DescExtension {
  return typeof value === "object" && value !== null && "kind" in value && typeof value.kind === "string";
}

function isTsEnum(value: unknown): value is Record<string, string | number> {
  return typeof value === "object" && value !== null && Object.values(value).every((v) => typeof v === "string" || typeof v === "number");
}

const topLevel = (desc: DescMessage | DescEnum): DescMessage | DescEnum => {
  let current: DescMessage | DescEnum = desc;
  while (current.parent) current = current.parent;
  return current;
};

/** Every top-level message and enum that the roots need, keyed by type name, with the methods kept per service. */
function closure(roots: Named[], methods: DescMethod[]): { kept: Map<string, DescMessage | DescEnum>; services: Map<DescService, DescMethod[]> } {
  const kept = new Map<string, DescMessage | DescEnum>();
  const keep = (desc: DescMessage | DescEnum) => {
    const top = topLevel(desc);
    if (kept.has(top.typeName)) return;
    kept.set(top.typeName, top);
    if (top.kind === "message") visit(top);
  };
  // A kept message keeps all its nested types, so their fields' types are needed too.
  const visit = (message: DescMessage) => {
    for (const field of message.fields) {
      if (field.message) keep(field.message);
      if (field.enum) keep(field.enum);
    }
    message.nestedMessages.forEach(visit);
  };
  const services = new Map<DescService, DescMethod[]>();
  for (const root of roots) {
    if (root.kind !== "service") {
      keep(root);
      continue;
    }
    const listed = methods.filter((method) => method.parent.typeName === root.typeName);
    const used = listed.length > 0 ? root.methods.filter((method) => listed.some((m) => m.name === method.name)) : root.methods;
    services.set(root, used);
    for (const method of used) {
      keep(method.input);
      keep(method.output);
    }
  }
  return { kept, services };
}

/** The files the kept types of one file refer to. */
function dependencies(file: DescFile, kept: Map<string, DescMessage | DescEnum>, services: Map<DescService, DescMethod[]>): Set<DescFile> {
  const deps = new Set<DescFile>();
  const add = (other: DescFile) => other !== file && deps.add(other);
  const visit = (message: DescMessage) => {
    for (const field of message.fields) {
      if (field.message) add(field.message.file);
      if (field.enum) add(field.enum.file);
    }
    message.nestedMessages.forEach(visit);
  };
  for (const desc of kept.values()) if (desc.file === file && desc.kind === "message") visit(desc);
  for (const [service, used] of services) {
    if (service.file !== file) continue;
    for (const method of used) [method.input.file, method.output.file].forEach(add);
  }
  return deps;
}

/** One file cut down to the kept types and methods (same name, same package). */
function trimmed(file: DescFile, kept: Map<string, DescMessage | DescEnum>, services: Map<DescService, DescMethod[]>): FileDescriptorProto {
  const proto = clone(FileDescriptorProtoSchema, file.proto);
  const prefix = proto.package ? `${proto.package}.` : "";
  proto.messageType = proto.messageType.filter((message: DescriptorProto) => kept.has(prefix + message.name));
  proto.enumType = proto.enumType.filter((e) => kept.has(prefix + e.name));
  proto.extension = [];
  proto.service = proto.service.flatMap((service) => {
    const desc = [...services.keys()].find((s) => s.typeName === prefix + service.name);
    if (!desc) return [];
    const names = new Set(services.get(desc)!.map((method) => method.name));
    service.method = service.method.filter((method) => names.has(method.name));
    return [service];
  });
  return proto;
}

const variableOf = (file: DescFile) => `file_${file.proto.name.replace(/\.proto$/, "").replace(/[^A-Za-z0-9]/g, "_")}`;

/** The source of the lean module for one importer. */
export async function leanModuleSource(root: string, spec: LeanImporter): Promise<string> {
  const imports = genValueImports(root, spec.importer);
  const values = new Map<string, unknown>();
  for (const { name, file } of imports) {
    const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    if (!(name in module)) throw new Error(`${spec.importer}: ${relative(root, file)} has no export ${name}`);
    values.set(name, module[name]);
  }
  const roots: Named[] = [];
  const lines: string[] = [];
  const exports: { name: string; desc: Named }[] = [];
  for (const [name, value] of values) {
    if (isDesc(value)) {
      if (value.kind === "file" || value.kind === "extension")
        throw new Error(`${spec.importer}: lean descriptors cannot stand in for ${name} (a ${value.kind}); import it elsewhere`);
      roots.push(value);
      exports.push({ name, desc: value });
    } else if (isTsEnum(value)) {
      lines.push(`export const ${name} = ${JSON.stringify(value)};`);
    } else {
      throw new Error(`${spec.importer}: ${name} from generated code is neither a descriptor nor an enum`);
    }
  }
  const { kept, services } = closure(roots, spec.methods ?? []);
  const files = new Map<DescFile, FileDescriptorProto>();
  for (const desc of [...kept.values(), ...services.keys()]) {
    if (!files.has(desc.file) && !desc.file.proto.name.startsWith("google/protobuf/")) files.set(desc.file, trimmed(desc.file, kept, services));
  }
  // Files in dependency order; the well-known types come from @bufbuild/protobuf/wkt as they are.
  const ordered: DescFile[] = [];
  const wkt = new Set<DescFile>();
  const place = (file: DescFile) => {
    if (ordered.includes(file)) return;
    for (const dep of dependencies(file, kept, services)) {
      if (files.has(dep)) place(dep);
      else wkt.add(dep);
    }
    ordered.push(file);
  };
  [...files.keys()].forEach(place);
  // Built here too, so the indices the module uses are those of the lean files.
  const lean = new Map<string, DescFile>();
  for (const file of ordered) {
    const proto = files.get(file)!;
    const deps = [...dependencies(file, kept, services)];
    proto.dependency = deps.map((dep) => dep.proto.name);
    const registry = createFileRegistry(proto, (name) => lean.get(name) ?? deps.find((dep) => dep.proto.name === name));
    lean.set(proto.name, registry.getFile(proto.name)!);
  }
  const header = [`import { enumDesc, fileDesc, messageDesc, serviceDesc } from "@bufbuild/protobuf/codegenv2";`];
  if (wkt.size > 0) header.push(`import { ${[...wkt].map(variableOf).join(", ")} } from "@bufbuild/protobuf/wkt";`);
  for (const file of ordered) {
    const proto = files.get(file)!;
    const deps = [...dependencies(file, kept, services)].map(variableOf);
    header.push(`const ${variableOf(file)} = /*@__PURE__*/ fileDesc(${JSON.stringify(embedFileDesc(proto).base64())}, [${deps.join(", ")}]);`);
  }
  for (const { name, desc } of exports) {
    const leanFile = lean.get(desc.file.proto.name)!;
    const leanDesc = findIn(leanFile, desc);
    if (!leanDesc) throw new Error(`${spec.importer}: ${desc.typeName} missing from its lean file`);
    const call = desc.kind === "message" ? "messageDesc" : desc.kind === "enum" ? "enumDesc" : "serviceDesc";
    lines.push(`export const ${name} = /*@__PURE__*/ ${call}(${variableOf(desc.file)}, ${pathInFileDesc(leanDesc).join(", ")});`);
  }
  return `// Lean descriptors for ${spec.importer} (scripts/lean-descriptors.ts).\n${header.join("\n")}\n${lines.join("\n")}\n`;
}

function findIn(file: DescFile, desc: Named): Named | undefined {
  if (desc.kind === "service") return file.services.find((s) => s.typeName === desc.typeName);
  const all: Named[] = [];
  const walk = (message: DescMessage) => {
    all.push(message, ...message.nestedEnums);
    message.nestedMessages.forEach(walk);
  };
  file.messages.forEach(walk);
  all.push(...file.enums);
  return all.find((d) => d.kind === desc.kind && d.typeName === desc.typeName);
}

const NAMESPACE = "lean-descriptors";

export function leanDescriptors(root: string, importers: LeanImporter[]): Plugin {
  const byImporter = new Map(importers.map((spec) => [spec.importer, spec]));
  const repoPath = (path: string) => relative(root, path).split(sep).join("/");
  return {
    name: "lean-descriptors",
    setup(bundle) {
      bundle.onResolve({ filter: /\/gen\/.*_pb\.js$/ }, (args) => {
        const importer = repoPath(args.importer);
        return byImporter.has(importer) ? { path: importer, namespace: NAMESPACE } : undefined;
      });
      bundle.onLoad({ filter: /.*/, namespace: NAMESPACE }, async (args) => ({
        contents: await leanModuleSource(root, byImporter.get(args.path)!),
        loader: "js",
        resolveDir: root,
      }));
    },
  };
}

/**
 * fileDesc decodes each embedded descriptor's base64 with a JavaScript loop, cold at start-up;
 * in the bundle it uses Node's native decoder (same bytes, copied into a plain Uint8Array).
 */
export const nativeBase64Descriptors: Plugin = {
  name: "native-base64-descriptors",
  setup(bundle) {
    bundle.onLoad({ filter: /@bufbuild[\\/]protobuf[\\/]dist[\\/]esm[\\/]codegenv2[\\/]file\.js$/ }, async (args) => {
      const source = await readFile(args.path, "utf8");
      const call = "base64Decode(b64)";
      if (!source.includes(call)) throw new Error(`${args.path} no longer calls ${call}; drop or update nativeBase64Descriptors`);
      return { contents: source.replace(call, 'new Uint8Array(Buffer.from(b64, "base64"))'), loader: "js" };
    });
  },
};
