import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse as parseToml } from "smol-toml";
import type { z } from "zod";
import { packageRoot } from "../paths.js";
import { defaultDataDir, defaultWorkDir } from "./data-dir.js";
import { isSecretVariable } from "../secret-environ.js";
import { emitDeprecation, renameDeprecatedKeys } from "./renamed-keys.js";
import { configSchema, ENV_MAP, type Config } from "./schema.js";

/** A start-up configuration problem: names the key, the value, where it came from and what is allowed. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

export interface LoadOptions {
  /** Folder holding default.toml, <profile>.toml and local.toml; default <pushpals>/configs. */
  configDir?: string;
  profile?: string;
  env?: NodeJS.ProcessEnv;
  /** Highest-precedence values (command-line flags), as dotted camelCase paths. */
  overrides?: Record<string, unknown>;
  /** Where a deprecated name in use is reported; default Node's DeprecationWarning on stderr. */
  warn?: (message: string) => void;
  cwd?: string;
}

type Tree = { [key: string]: unknown };

/**
 * configs/default.toml → configs/<profile>.toml → configs/local.toml → PUSHPALS_* → flags,
 * each later layer winning, validated as a whole.
 */
export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  const configDir = options.configDir ?? env.PUSHPALS_CONFIG_DIR ?? join(packageRoot(), "configs");
  const merged: Tree = {};
  const sources = new Map<string, string>();

  const warn = options.warn ?? emitDeprecation;
  const layer = (tree: Tree, source: string) => mergeInto(merged, renameDeprecatedKeys(tree, source, warn), source, sources, "");
  const fileLayer = (name: string) => {
    const file = join(configDir, name);
    if (existsSync(file)) layer(camelKeys(readToml(file)), file);
  };

  fileLayer("default.toml");
  const profile = options.profile ?? env.PUSHPALS_PROFILE ?? (merged.profile as string | undefined) ?? "default";
  if (profile !== "default") {
    const file = join(configDir, `${profile}.toml`);
    if (!existsSync(file)) throw new ConfigError(`config: profile "${profile}" has no file ${file}`);
    fileLayer(`${profile}.toml`);
  }
  fileLayer("local.toml");
  for (const [name, path] of Object.entries(ENV_MAP)) {
    const value = env[name];
    if (value !== undefined) layer(treeAt(path, value), `environment ${name}`);
  }
  for (const [path, value] of Object.entries(options.overrides ?? {})) {
    if (value !== undefined) layer(treeAt(path, value), "command line");
  }
  merged.profile = profile;

  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error.issues, merged, sources));
  const { host, authToken } = parsed.data.server;
  if (!isLoopbackHost(host) && authToken === "") {
    throw new ConfigError(
      `config: server.host = ${JSON.stringify(host)} (from ${sources.get("server.host") ?? "defaults"}) is reachable from other machines, ` +
        `so it needs server.authToken (PUSHPALS_AUTH_TOKEN): without one, anyone who can reach the port could change state. ` +
        `Set a token, or listen on 127.0.0.1`,
    );
  }
  return resolvePaths(parsed.data, options.cwd ?? process.cwd(), env);
}

function resolvePaths(config: Config, cwd: string, env: NodeJS.ProcessEnv): Config {
  const repo = resolve(cwd, config.repo.path || ".");
  const dataDir = config.storage.dataDir ? resolve(cwd, config.storage.dataDir) : defaultDataDir(repo, env);
  const workDir = config.storage.workDir ? resolve(cwd, config.storage.workDir) : defaultWorkDir(dataDir, repo);
  return { ...config, repo: { ...config.repo, path: repo }, storage: { ...config.storage, dataDir, workDir } };
}

function readToml(file: string): Tree {
  try {
    return parseToml(readFileSync(file, "utf8")) as Tree;
  } catch (error) {
    throw new ConfigError(`config: ${file} is not valid TOML: ${(error as Error).message}`);
  }
}

function describeIssues(issues: z.core.$ZodIssue[], merged: Tree, sources: Map<string, string>): string {
  const lines = issues.map((issue) => {
    const path = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      const where = sources.get(issue.keys.map((k) => (path ? `${path}.${k}` : k))[0] ?? "") ?? "a config file";
      return `- ${issue.keys.map((k) => (path ? `${path}.${k}` : k)).join(", ")} (from ${where}): unknown key; check the spelling against configs/default.toml`;
    }
    const value = valueAt(merged, issue.path.map(String));
    const source = sources.get(path) ?? "defaults";
    // A rejected secret is still someone's secret: its value stays out of the message (and the logs).
    const shown = isSecretVariable(String(issue.path.at(-1) ?? "")) ? "<hidden>" : JSON.stringify(value);
    return `- ${path} = ${shown} (from ${source}): ${issue.message}`;
  });
  return `config: invalid configuration\n${lines.join("\n")}`;
}

function mergeInto(target: Tree, tree: Tree, source: string, sources: Map<string, string>, prefix: string) {
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (isPlainObject(value)) {
      const child = isPlainObject(target[key]) ? (target[key] as Tree) : {};
      target[key] = child;
      mergeInto(child, value, source, sources, path);
    } else {
      target[key] = value;
      sources.set(path, source);
    }
  }
}

function treeAt(path: string, value: unknown): Tree {
  const keys = path.split(".");
  const root: Tree = {};
  let node = root;
  keys.forEach((key, i) => {
    if (i === keys.length - 1) node[key] = value;
    else node = node[key] = {} as Tree;
  });
  return root;
}

function valueAt(tree: Tree, path: string[]): unknown {
  let node: unknown = tree;
  // Arrays too: a bad entry of a list of tables ([[approvals.command]]) is shown with its value.
  for (const key of path) node = isPlainObject(node) || Array.isArray(node) ? (node as Tree)[key] : undefined;
  return node;
}

function camelKeys(tree: Tree): Tree {
  const out: Tree = {};
  for (const [key, value] of Object.entries(tree)) {
    const camel = key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    out[camel] = isPlainObject(value) ? camelKeys(value as Tree) : Array.isArray(value) ? value.map((v) => (isPlainObject(v) ? camelKeys(v as Tree) : v)) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Tree {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}
