import { execFile } from "node:child_process";
import { availableParallelism, cpus, loadavg, totalmem } from "node:os";
import { promisify } from "node:util";
import { publishSection } from "./support/report.js";

const run = promisify(execFile);

/*
 * The deploy images' sizes: what a pull or a node's disk pays. Reads the images podman holds
 * (build them first, see deploy/README.md) and, per image, the base and the largest parts
 * inside (the PushPals image's production node_modules, the git and apt layer).
 *
 *   npx tsx bench/image-size.ts [--no-record]
 *   (or: npm run build && node dist/bench/image-size.js …)
 * Needs podman with the engine's settings: eval "$(bash scripts/container-engine.sh)".
 */

const IMAGES = [
  { name: "localhost/pushpals:latest", parts: ["/app/node_modules", "/app/dist", "/usr/lib/git-core", "/usr/local/bin/node"] },
  { name: "localhost/pushpals-sandbox:latest", parts: ["/usr/lib/python3.11", "/usr/lib/git-core", "/usr/local/bin/node"] },
  { name: "docker.io/library/node:20-bookworm-slim", parts: [] },
];

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

async function imageBytes(image: string): Promise<number> {
  const { stdout } = await run("podman", ["image", "inspect", "--format", "{{.Size}}", image]);
  return Number(stdout.trim());
}

async function partBytes(image: string, paths: string[]): Promise<Map<string, number>> {
  if (paths.length === 0) return new Map();
  const { stdout } = await run("podman", ["run", "--rm", "--network", "none", "--entrypoint", "du", image, "-sb", ...paths]);
  return new Map(
    stdout
      .trim()
      .split("\n")
      .map((line) => line.split("\t"))
      .map(([bytes, path]) => [path!, Number(bytes)]),
  );
}

async function main(): Promise<void> {
  const record = !process.argv.includes("--no-record");
  const base = await imageBytes(IMAGES[2]!.name);
  const stand = await run("podman", ["image", "inspect", "--format", '{{index .Labels "org.pushpals.stand-in"}}', IMAGES[2]!.name]).then(
    (out) => out.stdout.trim() === "true",
    () => false,
  );
  const rows = ["| image | size | over the base | largest parts |", "| --- | ---: | ---: | --- |"];
  for (const image of IMAGES) {
    const bytes = await imageBytes(image.name);
    const parts = await partBytes(image.name, image.parts);
    const described = [...parts].map(([path, size]) => `${path} ${mib(size)}`).join(", ");
    rows.push(`| \`${image.name}\` | ${mib(bytes)} | ${image.name === IMAGES[2]!.name ? "—" : mib(bytes - base)} | ${described || "—"} |`);
  }
  const machine = `nproc ${availableParallelism()} (${cpus()[0]?.model.trim() ?? "unknown cpu"}), memory ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, ${(await run("podman", ["--version"])).stdout.trim()}, load ${loadavg()[0]!.toFixed(2)}`;
  const section = [
    `## Image sizes — ${new Date().toISOString()}`,
    "",
    "- command: `npx tsx bench/image-size.ts`",
    `- machine: ${machine}`,
    `- base: ${stand ? "the stand-in `node:20-bookworm-slim` (scripts/stand-in-base-image.sh: debootstrap bookworm minbase + this machine's node and npm): its size is not the official image's, which cannot be pulled here to compare" : "the official `node:20-bookworm-slim`"}`,
    "",
    ...rows,
  ].join("\n");
  await publishSection(section, record, (line) => process.stderr.write(`${line}\n`));
}

main().catch((error: unknown) => {
  process.stderr.write(`[bench image-size] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
