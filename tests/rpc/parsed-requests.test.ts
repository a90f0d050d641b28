import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const SOURCE_ROOMS = ["services", "supervisor", "cli"];

/** Requests whose message has no field yet: nothing to hand on, so the result may be dropped. */
const FIELDLESS = new Set(["requests.getIntegrationStatusRequest"]);

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return sourceFiles(path);
      return Promise.resolve(entry.name.endsWith(".ts") ? [path] : []);
    }),
  );
  return nested.flat();
}

async function handlerSources(): Promise<{ file: string; text: string }[]> {
  const files = (await Promise.all(SOURCE_ROOMS.map((room) => sourceFiles(join(ROOT, room))))).flat();
  return Promise.all(files.map(async (file) => ({ file: relative(ROOT, file), text: await readFile(file, "utf8") })));
}

/**
 * Guards "validate at the boundary, trust the value inside": a handler that drops
 * parseRequest's result reads the raw message again, where nothing the schema proved
 * (a set payload, a page size's default) holds, and ends up with `req.payload!`.
 */
describe("request handlers use the value parseRequest returns", () => {
  it("no parseRequest call discards its result", async () => {
    const discarded: string[] = [];
    for (const { file, text } of await handlerSources()) {
      for (const match of text.matchAll(/^\s*parseRequest\(([\w.]+),/gm)) {
        if (!FIELDLESS.has(match[1] ?? "")) discarded.push(`${file}: parseRequest(${match[1]}, …)`);
      }
    }
    expect(discarded).toEqual([]);
  });

  it("no handler asserts a request field non-null", async () => {
    const asserted: string[] = [];
    for (const { file, text } of await handlerSources()) {
      for (const match of text.matchAll(/\breq\.[\w.]+!/g)) asserted.push(`${file}: ${match[0]}`);
    }
    expect(asserted).toEqual([]);
  });
});
