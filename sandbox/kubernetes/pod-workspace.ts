import { createReadStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { tmpdir } from "node:os";
import { PassThrough } from "node:stream";
import { extract } from "tar-stream";
import { invalidArgument, unavailable } from "../../shared/errors.js";
import type { Logger } from "../../shared/log.js";
import { mirrorTree } from "./mirror-tree.js";
import { packWorktree } from "./pack-worktree.js";
import { openExec, type OpenExec, type PodTarget } from "./pod-exec.js";
import { copyInArgv, copyOutArgv } from "./pod-scripts.js";
import { textSink } from "./text-sink.js";
import { unpackSafely } from "./unpack-safely.js";

const PROGRESS_EVERY_MS = 2000;
/** How much of a failed tar's stderr goes into the error. */
const STDERR_KEEP = 4000;

/**
 * Replaces the pod's /workspace with `hostDir`: tarred on the host (pack-worktree.ts),
 * streamed over an exec's stdin, unpacked by `tar -x` in the pod.
 */
export async function copyIntoPod(target: PodTarget, hostDir: string, logger: Logger): Promise<void> {
  await checkHostDir(hostDir);
  const startedAt = performance.now();
  const packed = await packWorktree(hostDir, logger);
  try {
    const packedAt = performance.now();
    logger.info({ hostDir, entries: packed.entries, bytes: packed.bytes, packMs: Math.round(packedAt - startedAt) }, "copying the worktree into the pod");
    const progress = progressLog(logger, "copying the worktree into the pod", packed.bytes);
    const stderr = keptText();
    let code: number;
    try {
      const exec = await openExec(target, copyInArgv(packed.bytes), {
        stdout: stderr.sink.writable,
        stderr: stderr.sink.writable,
        stdin: progress.count(createReadStream(packed.path)),
      });
      code = await exec.exitCode;
    } finally {
      progress.stop();
    }
    if (code !== 0) {
      throw unavailable(
        `copying ${hostDir} into pod ${target.namespace}/${target.pod} failed (exit ${code}): ${stderr.text() || "no message"}; check the image has tar and the pod's /workspace has room`,
      );
    }
    const sendMs = Math.round(performance.now() - packedAt);
    logger.info({ bytes: packed.bytes, sendMs, mbPerSecond: rate(packed.bytes, sendMs) }, "worktree copied into the pod");
  } finally {
    await packed.remove();
  }
}

/**
 * Brings the pod's /workspace back into `hostDir`: `tar -c` in the pod, unpacked on the host
 * into a staging directory with every entry checked (unpack-safely.ts), and only when all of it
 * arrived and passed, mirrored into `hostDir` (mirror-tree.ts). A failure leaves `hostDir` as it was.
 */
export async function copyOutOfPod(target: PodTarget, hostDir: string, maxBytes: number, logger: Logger): Promise<void> {
  await checkHostDir(hostDir);
  const startedAt = performance.now();
  const staging = await mkdtemp(join(tmpdir(), "pushpals-k8s-copy-out-"));
  const archive = new PassThrough();
  const progress = progressLog(logger, "copying the pod's workspace out", undefined);
  try {
    archive.on("data", (chunk: Buffer) => progress.add(chunk.length));
    const entries = extract();
    archive.pipe(entries);
    const unpacked = unpackSafely(entries, staging, maxBytes, logger);
    // Whatever ends the copy also ends the archive, so the unpacking never waits for more.
    const closeArchive = () => {
      if (!archive.writableEnded) archive.end();
    };
    const stderr = keptText();
    let exec: OpenExec;
    try {
      exec = await openExec(target, copyOutArgv(), { stdout: archive, stderr: stderr.sink.writable });
    } catch (error) {
      closeArchive();
      await unpacked.catch(() => undefined);
      throw error;
    }
    const [code, tree] = await Promise.all([
      exec.exitCode.finally(closeArchive),
      unpacked.catch((error: unknown) => {
        exec.close();
        throw error;
      }),
    ]);
    if (code !== 0) {
      throw unavailable(
        `copying the workspace out of pod ${target.namespace}/${target.pod} failed (tar exit ${code}): ${stderr.text() || "no message"}; nothing was changed in ${hostDir}`,
      );
    }
    const receivedAt = performance.now();
    const mirrored = await mirrorTree(tree, hostDir);
    logger.info(
      {
        hostDir,
        bytes: tree.bytes,
        entries: tree.entries.size,
        written: mirrored.written,
        removed: mirrored.removed,
        receiveMs: Math.round(receivedAt - startedAt),
        applyMs: Math.round(performance.now() - receivedAt),
      },
      "the pod's workspace copied out",
    );
  } finally {
    progress.stop();
    await rm(staging, { recursive: true, force: true });
  }
}

async function checkHostDir(hostDir: string): Promise<void> {
  if (typeof hostDir !== "string" || !isAbsolute(hostDir)) throw invalidArgument("hostDir", `"${hostDir}" must be an absolute host path`);
  const info = await stat(hostDir).catch(() => undefined);
  if (!info?.isDirectory()) throw invalidArgument("hostDir", `${hostDir} is not a directory; pass the job's worktree`);
}

function keptText() {
  let text = "";
  const sink = textSink((chunk) => {
    if (text.length < STDERR_KEEP) text += chunk.slice(0, STDERR_KEEP - text.length);
  });
  return { sink, text: () => (sink.flush(), text.trim()) };
}

/** Logs how far a long copy has got every few seconds. */
function progressLog(logger: Logger, what: string, total: number | undefined) {
  let done = 0;
  const timer = setInterval(() => logger.info({ bytes: done, total }, `${what}: in progress`), PROGRESS_EVERY_MS);
  timer.unref();
  return {
    add(bytes: number) {
      done += bytes;
    },
    async *count(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
      for await (const chunk of source) {
        done += chunk.length;
        yield chunk;
      }
    },
    stop() {
      clearInterval(timer);
    },
  };
}

function rate(bytes: number, ms: number): number {
  return ms <= 0 ? 0 : Math.round((bytes / 1024 / 1024 / (ms / 1000)) * 10) / 10;
}
