import { afterEach, describe, expect, it } from "vitest";
import { ItemStatus, LogStream } from "../../gen/pushpals/v1/common_pb.js";
import { durationFromMs } from "../../shared/time.js";
import { processesWith, uniqueSleep, waitFor } from "../sandbox/fixtures.js";
import { completions, createScene, enqueueJob, itemEvents, jobLog, startRunner, waitForStatus, type InProcessRunner, type Scene } from "./support.js";
import { ErrorCode } from "../../gen/pushpals/v1/kinds_pb.js";

describe("budgets and the job log", () => {
  let scene: Scene | undefined;
  let runner: InProcessRunner | undefined;

  afterEach(async () => {
    await runner?.stop();
    await scene?.remove();
    runner = scene = undefined;
  });

  async function start(overrides: Record<string, unknown> = {}) {
    scene = await createScene();
    runner = startRunner(scene, overrides);
    return scene;
  }

  it("fails a job past its wall time budget (the plan's), stops its sandbox and says which budget", async () => {
    const scene = await start();
    const { seconds, marker } = uniqueSleep();
    const job = await enqueueJob(scene, { instruction: `touch partial.txt; sleep ${seconds}`, planning: { budgets: { execution: durationFromMs(1500) } } });
    await waitFor("the sleep to run", async () => (await processesWith(marker)) === 1, 10_000);
    const finished = await waitForStatus(scene, job.id, undefined, 10_000);
    expect(finished.status).toBe(ItemStatus.FAILED);
    expect(finished.lastError).toMatch(/wall time budget of 1\.5 s \(plan budgets\.execution\)/);
    expect(await processesWith(marker)).toBe(0);
    expect(await completions(scene)).toEqual([]);
    const error = (await itemEvents(scene, job.id)).find((event) => event.payload.case === "error");
    expect(error?.payload.value).toMatchObject({ code: ErrorCode.RESOURCE_EXHAUSTED });
  });

  it("falls back to runner.maxWallSeconds when the plan names no budget", async () => {
    const scene = await start({ "runner.maxWallSeconds": 1 });
    const job = await enqueueJob(scene, { instruction: "sleep 30" });
    const finished = await waitForStatus(scene, job.id, undefined, 10_000);
    expect(finished.status).toBe(ItemStatus.FAILED);
    expect(finished.lastError).toMatch(/wall time budget of 1 s \(runner\.maxWallSeconds\)/);
  });

  it("keeps the head and tail of a command's output past maxOutputBytesPerCommand, and says how much it left out", async () => {
    const scene = await start({ "runner.maxOutputBytesPerCommand": 2000 });
    const job = await enqueueJob(scene, { instruction: "seq -f 'line-%04g' 1 2000; echo tail-of-stderr >&2; touch done.txt" });
    const finished = await waitForStatus(scene, job.id);
    expect(finished.status, finished.lastError).toBe(ItemStatus.COMPLETED);
    const lines = await jobLog(scene, job.id);
    const output = lines.filter((line) => line.stream !== LogStream.SYSTEM || line.text.includes("left out")).map((line) => line.text);
    // Each "line-NNNN" is 10 bytes with its newline: 100 lines fit in each 1000-byte half.
    expect(output.slice(0, 100)).toEqual(Array.from({ length: 100 }, (_, i) => `line-${String(i + 1).padStart(4, "0")}`));
    const note = output[100]!;
    expect(note).toMatch(/^\[\d+ lines \(\d+ bytes\) of this command's output left out: it printed more than runner\.maxOutputBytesPerCommand \(2000 bytes\)/);
    expect(output.at(-1)).toBe("tail-of-stderr");
    expect(output.at(-2)).toBe("line-2000");
    const kept = output.length - 1;
    const leftOut = Number(/^\[(\d+) lines/.exec(note)![1]);
    expect(kept + leftOut).toBe(2001);
  });

  it("fails a job whose output passes maxLogBytes, stopping what still runs", async () => {
    const scene = await start({ "runner.maxLogBytes": 4096 });
    const { seconds, marker } = uniqueSleep();
    const job = await enqueueJob(scene, { instruction: `seq 1 5000; sleep ${seconds}` });
    const finished = await waitForStatus(scene, job.id, undefined, 10_000);
    expect(finished.status).toBe(ItemStatus.FAILED);
    expect(finished.lastError).toMatch(/passed its log budget of 4096 bytes \(runner\.maxLogBytes\)/);
    expect(await processesWith(marker)).toBe(0);
    const lines = await jobLog(scene, job.id);
    const output = lines.filter((line) => line.stream === LogStream.STDOUT);
    expect(output.reduce((sum, line) => sum + Buffer.byteLength(line.text) + 1, 0)).toBeLessThanOrEqual(4096);
    expect(lines.some((line) => line.stream === LogStream.SYSTEM && /log budget/.test(line.text))).toBe(true);
  });

  it("collapses progress-bar redraws to the line's final state, also across writes", async () => {
    const scene = await start();
    const script = [
      "printf 'downloading 10%%\\rdownloading 50%%\\rdownloading 100%%\\n'",
      "printf 'abcdef\\rxy\\n'",
      "for i in 1 2 3 4 5; do printf '\\rprogress %s/5' $i; sleep 0.05; done; echo",
      "printf 'windows line\\r\\n'",
      "echo plain",
    ].join("; ");
    const job = await enqueueJob(scene, { instruction: script });
    expect((await waitForStatus(scene, job.id)).status).toBe(ItemStatus.COMPLETED);
    const stdout = (await jobLog(scene, job.id)).filter((line) => line.stream === LogStream.STDOUT).map((line) => line.text);
    expect(stdout).toEqual(["downloading 100%", "xycdef", "progress 5/5", "windows line", "plain"]);
  });
});
