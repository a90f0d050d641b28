import { access, constants, mkdir, readFile, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * What this host lets PushPals do with cgroups. Every directory named here is a `pushpals`
 * directory under the runner's own cgroup in one hierarchy, so the runner's own limits keep
 * applying to its jobs and two runners never share one.
 */
export interface CgroupSupport {
  version: 1 | 2;
  /** Where membership is tracked and killed: v1's pids hierarchy, or the unified v2 one. */
  membership: string;
  /** Where pids.max is written; absent when the pids controller is not usable. */
  pids?: string;
  /** Where the memory limit is written; absent when the memory controller is not usable. */
  memory?: string;
  /** v1 only: the freezer, which stops a cgroup's members from forking while they are killed. */
  freezer?: string;
}

export type CgroupProbe = { usable: true; support: CgroupSupport } | { usable: false; reason: string };

export interface ProbeOptions {
  /** Consider only this version (tests use it to exercise v2 where v1 would win). */
  version?: 1 | 2;
  /** /proc/self/mountinfo and /proc/self/cgroup, for tests that fake a host. */
  mountinfo?: string;
  procCgroup?: string;
}

export const PARENT_NAME = "pushpals";

let probed: Promise<CgroupProbe> | undefined;

/** Probes once per process (the answer cannot change while the runner lives). */
export function cgroupSupport(): Promise<CgroupProbe> {
  return (probed ??= probeCgroups());
}

/**
 * Preference: v2 with the pids and memory controllers; else v1 with a writable pids hierarchy
 * (memory and freezer when there too); else v2 without controllers, which still tracks and kills
 * (cgroup.kill) but cannot limit; else none.
 */
export async function probeCgroups(options: ProbeOptions = {}): Promise<CgroupProbe> {
  const [mountinfo, membership] = await Promise.all([
    readFile(options.mountinfo ?? "/proc/self/mountinfo", "utf8").catch(() => ""),
    readFile(options.procCgroup ?? "/proc/self/cgroup", "utf8").catch(() => ""),
  ]);
  const mounts = parseMountinfo(mountinfo);
  const own = parseProcCgroup(membership);
  const reasons: string[] = [];
  const v2 = options.version === 1 ? undefined : await probeV2(mounts, own, reasons);
  if (v2?.pids && v2.memory) return { usable: true, support: v2 };
  const v1 = options.version === 2 ? undefined : await probeV1(mounts, own, reasons);
  if (v1) return { usable: true, support: v1 };
  if (v2) return { usable: true, support: v2 };
  return { usable: false, reason: reasons.join("; ") || "no cgroup hierarchy is mounted" };
}

interface CgroupMount {
  mountPoint: string;
  /** The path inside the hierarchy that is mounted there ("/" unless in a container). */
  root: string;
  version: 1 | 2;
  /** v1: the controllers bound to this hierarchy. */
  controllers: string[];
}

function parseMountinfo(text: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of text.split("\n")) {
    // Fields: id parent major:minor root mount-point options [optional...] - fstype source super-options
    const [before, after] = line.split(" - ");
    if (!before || !after) continue;
    const fields = before.split(" ");
    const [fstype, , superOptions = ""] = after.split(" ");
    const root = unescapeMount(fields[3] ?? "");
    const mountPoint = unescapeMount(fields[4] ?? "");
    if (fstype === "cgroup2") mounts.push({ mountPoint, root, version: 2, controllers: [] });
    if (fstype === "cgroup") mounts.push({ mountPoint, root, version: 1, controllers: superOptions.split(",") });
  }
  return mounts;
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescapeMount(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** "id:controllers:path" lines; v2 is the line with id 0 and no controllers. */
function parseProcCgroup(text: string): { v2?: string; v1: Map<string, string> } {
  const v1 = new Map<string, string>();
  let v2: string | undefined;
  for (const line of text.split("\n")) {
    const match = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!match) continue;
    const [, id, controllers, path] = match as unknown as [string, string, string, string];
    if (id === "0" && controllers === "") v2 = path;
    else for (const controller of controllers.split(",")) v1.set(controller, path);
  }
  return { v2, v1 };
}

/** The runner's own cgroup directory in a mounted hierarchy. */
function ownDirectory(mount: CgroupMount, path: string): string {
  // Inside a cgroup namespace the path is already relative to the mounted root.
  const relative = mount.root !== "/" && path.startsWith(mount.root) ? path.slice(mount.root.length) : path;
  return join(mount.mountPoint, relative).replace(/(.)\/+$/, "$1");
}

/** Makes `<own>/pushpals` and proves a child can be made and removed there. */
async function writableParent(own: string, reasons: string[], what: string): Promise<string | undefined> {
  const parent = join(own, PARENT_NAME);
  const trial = join(parent, `.probe-${process.pid}`);
  try {
    await mkdir(parent, { recursive: true });
    await mkdir(trial);
    await access(join(trial, "cgroup.procs"), constants.W_OK);
    return parent;
  } catch (error) {
    reasons.push(`${what}: cannot make cgroups under ${own} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    return undefined;
  } finally {
    await rmdir(trial).catch(() => {});
  }
}

async function probeV2(mounts: CgroupMount[], own: { v2?: string }, reasons: string[]): Promise<CgroupSupport | undefined> {
  const mount = mounts.find((candidate) => candidate.version === 2);
  if (!mount || own.v2 === undefined) return undefined;
  const ownDir = ownDirectory(mount, own.v2);
  const parent = await writableParent(ownDir, reasons, "cgroup v2");
  if (!parent) return undefined;
  const support: CgroupSupport = { version: 2, membership: parent };
  const available = (await readFile(join(ownDir, "cgroup.controllers"), "utf8").catch(() => "")).split(/\s+/);
  for (const controller of ["pids", "memory"] as const) {
    if (!available.includes(controller)) continue;
    // The runner's own cgroup holds processes: outside the root, v2 refuses to enable controllers
    // for its children (EBUSY), and then this hierarchy can only track and kill.
    const enabled = (await enableController(ownDir, controller)) && (await enableController(parent, controller));
    if (enabled) support[controller] = parent;
  }
  const missing = (["pids", "memory"] as const).filter((controller) => !support[controller]);
  if (missing.length > 0) reasons.push(`cgroup v2 under ${ownDir} cannot limit ${missing.join(" or ")} (not delegated, or the runner's own cgroup is not a leaf it may split)`);
  return support;
}

/** Enables a controller for a cgroup's children; v2 only. */
export async function enableController(dir: string, controller: "pids" | "memory"): Promise<boolean> {
  const current = await readFile(join(dir, "cgroup.subtree_control"), "utf8").catch(() => "");
  if (current.split(/\s+/).includes(controller)) return true;
  return writeFile(join(dir, "cgroup.subtree_control"), `+${controller}`).then(
    () => true,
    () => false,
  );
}

async function probeV1(mounts: CgroupMount[], own: { v1: Map<string, string> }, reasons: string[]): Promise<CgroupSupport | undefined> {
  const parentFor = async (controller: string) => {
    const mount = mounts.find((candidate) => candidate.version === 1 && candidate.controllers.includes(controller));
    const path = own.v1.get(controller);
    if (!mount || path === undefined) return undefined;
    return writableParent(ownDirectory(mount, path), reasons, `cgroup v1 ${controller}`);
  };
  const pids = await parentFor("pids");
  if (!pids) return undefined;
  const [memory, freezer] = await Promise.all([parentFor("memory"), parentFor("freezer")]);
  return { version: 1, membership: pids, pids, ...(memory ? { memory } : {}), ...(freezer ? { freezer } : {}) };
}
