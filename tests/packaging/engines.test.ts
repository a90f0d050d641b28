import { readFileSync } from "node:fs";
import semver from "semver";
import { describe, expect, it } from "vitest";
import { z } from "zod";

const root = new URL("../../", import.meta.url);
const manifest = z.object({ engines: z.object({ node: z.string() }) }).parse(JSON.parse(readFileSync(new URL("package.json", root), "utf8")));
const lock = z
  .object({ packages: z.record(z.string(), z.object({ version: z.string().optional(), engines: z.unknown().optional() })) })
  .parse(JSON.parse(readFileSync(new URL("package-lock.json", root), "utf8")));

/**
 * Locked packages whose Node range is narrower than ours, each with the reason we keep it anyway.
 * The test fails when one of them is no longer narrower, so a gap closed is a line removed here.
 */
const KNOWN_GAPS: Record<string, string> = {
  // 2.2.0 added the adapter's requestGate, which the RPC server uses to check tokens before a body
  // is read and to see every call's outcome; 2.1.x (Node >= 20) has no such hook.
  "node_modules/@connectrpc/connect-node": "requestGate (shared/rpc/server.ts)",
};

/** Every locked package that states a Node range, with that range. */
function lockedNodeRanges(): Array<{ path: string; version: string; range: string }> {
  return Object.entries(lock.packages).flatMap(([path, entry]) => {
    const engines = z.object({ node: z.string() }).safeParse(entry.engines);
    return path !== "" && engines.success ? [{ path, version: entry.version ?? "?", range: engines.data.node }] : [];
  });
}

describe("engines.node in package.json", () => {
  const ours = manifest.engines.node;

  it("is a valid range that this machine's Node satisfies", () => {
    expect(semver.validRange(ours), ours).not.toBeNull();
    expect(semver.satisfies(process.versions.node, ours), `${process.versions.node} in ${ours}`).toBe(true);
  });

  it("promises no Node version that a locked dependency rules out", () => {
    const narrower = lockedNodeRanges()
      .filter(({ range }) => !semver.subset(ours, range))
      .map(({ path, version, range }) => `${path}@${version} wants node ${range}`);
    const unexplained = narrower.filter((line) => !Object.keys(KNOWN_GAPS).some((path) => line.startsWith(`${path}@`)));
    expect(unexplained, `pin a version that supports ${ours}, or narrow engines.node`).toEqual([]);
  });

  it("lists only gaps that still exist", () => {
    const ranges = lockedNodeRanges();
    const closed = Object.keys(KNOWN_GAPS).filter((path) => !ranges.some((entry) => entry.path === path && !semver.subset(ours, entry.range)));
    expect(closed, "remove these from KNOWN_GAPS").toEqual([]);
  });
});
