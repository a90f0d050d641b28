import { readdir, readFile } from "node:fs/promises";
import { availableParallelism, cpus } from "node:os";
import { join, relative } from "node:path";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { packageRoot } from "../shared/paths.js";
import { publishSection, runBenchmark } from "./support/report.js";

/**
 * The production bundle of the web UI (web/dist, as `npm run build` makes it and the package
 * ships it): each file's size raw, gzip -9 and brotli; what a first visit downloads (index.html
 * and the assets it names: the chat) and the whole build (the other views load on first use).
 *
 *   npm run build && node dist/bench/web-bundle.js [--no-record]
 */
async function main(): Promise<void> {
  const record = !process.argv.includes("--no-record");
  const dist = join(packageRoot(), "web", "dist");
  const files = await filesUnder(dist).catch(() => {
    throw new Error(`no ${dist}: run npm run build first`);
  });
  const rows: { path: string; raw: number; gzip: number; brotli: number }[] = [];
  for (const file of files.sort()) {
    const content = await readFile(file);
    rows.push({ path: relative(dist, file), raw: content.length, gzip: gzipSync(content, { level: 9 }).length, brotli: brotliCompressSync(content).length });
  }
  const kb = (n: number) => (n / 1024).toFixed(1);
  const sum = (list: typeof rows) => list.reduce((acc, r) => ({ raw: acc.raw + r.raw, gzip: acc.gzip + r.gzip, brotli: acc.brotli + r.brotli }), { raw: 0, gzip: 0, brotli: 0 });
  const index = await readFile(join(dist, "index.html"), "utf8");
  const named = new Set([...index.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((m) => m[1]));
  const first = sum(rows.filter((r) => r.path === "index.html" || named.has(r.path)));
  const total = sum(rows);
  const section = [
    `## Web UI bundle size (${new Date().toISOString().slice(0, 10)})`,
    "",
    `Command: \`npm run build && node dist/bench/web-bundle.js\`. Machine: nproc ${availableParallelism()} (${cpus()[0]?.model.trim() ?? "unknown cpu"}), node ${process.version}.`,
    "Each file of the build (no source maps ship); a first visit downloads index.html and the assets it names (the chat view), the other views load when first opened.",
    "",
    "| file | raw KiB | gzip -9 KiB | brotli KiB |",
    "| --- | ---: | ---: | ---: |",
    ...rows.map((r) => `| ${r.path} | ${kb(r.raw)} | ${kb(r.gzip)} | ${kb(r.brotli)} |`),
    `| **first visit** | **${kb(first.raw)}** | **${kb(first.gzip)}** | **${kb(first.brotli)}** |`,
    `| **whole build** | **${kb(total.raw)}** | **${kb(total.gzip)}** | **${kb(total.brotli)}** |`,
  ].join("\n");
  await publishSection(section, record, (line) => process.stderr.write(`[web-bundle] ${line}\n`));
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(entries.map((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : Promise.resolve([join(dir, e.name)]))));
  return nested.flat();
}

runBenchmark("web-bundle", main);
