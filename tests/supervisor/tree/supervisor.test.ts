import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../../shared/log.js";
import { DoNotRestart, IntensityExceeded, StopTimedOut, TerminateTree } from "../../../supervisor/errors.js";
import type { ReadinessReporting, Service } from "../../../supervisor/service.js";
import { Supervisor } from "../../../supervisor/supervisor.js";
import { captureLogger, is, recordEvents, untilAborted } from "./support.js";

const fastBackoff = { initialMs: 10, maxMs: 200, jitter: 0 };

function service(name: string, serve: (signal: AbortSignal) => Promise<void>): Service {
  return { name, serve };
}

/** Runs until told to stop; counts its starts. */
function steady(name: string) {
  const runs = { starts: 0 };
  return { runs, service: service(name, async (signal) => (runs.starts++, await untilAborted(signal))) };
}

describe("Supervisor: restarts", () => {
  it("restarts a child that throws, each delay double the last, and logs each failure", async () => {
    const { logger, records } = captureLogger();
    const starts: number[] = [];
    const flaky = service("flaky", async (signal) => {
      starts.push(performance.now());
      if (starts.length <= 4) throw new Error(`boom ${starts.length}`);
      await untilAborted(signal);
    });
    const root = new Supervisor({
      name: "root",
      logger,
      intensity: { maxRestarts: 10, withinMs: 10_000 },
      backoff: { initialMs: 20, maxMs: 1000, jitter: 0 },
    });
    root.add(flaky, { restart: "permanent" });
    const events = recordEvents(root.events);
    const stop = new AbortController();
    const serving = root.serve(stop.signal);

    await events.waitFor(is("started", "flaky"), 5);
    const delays = events.seen.filter((event) => event.kind === "restarting").map((event) => event.delayMs);
    expect(delays).toEqual([20, 40, 80, 160]);
    const gaps = starts.slice(1).map((at, index) => at - starts[index]!);
    // Timers never fire early (1 ms for rounding); load can only make a gap longer.
    // (No gap-versus-gap comparison: a stall under load can stretch any one of them.)
    gaps.forEach((gap, index) => expect(gap).toBeGreaterThanOrEqual(delays[index]! - 1));
    const failures = events.seen.filter((event) => event.kind === "failed").map((event) => event.error);
    expect(failures).toEqual(["boom 1", "boom 2", "boom 3", "boom 4"]);

    stop.abort();
    await serving;
    expect(root.events.recent().at(-1)).toMatchObject({ kind: "stopped", child: "flaky", supervisor: "root" });
    const warnings = records().filter((record) => record.event === "failed");
    expect(warnings).toHaveLength(4);
    expect(warnings[0]).toMatchObject({ level: 40, supervisor: "root", child: "flaky", err: { message: "boom 1" } });
    events.stop();
  });

  it("turns a thrown non-Error value (even a synchronous throw) into a failure", async () => {
    let starts = 0;
    const odd: Service = {
      name: "odd",
      serve(signal) {
        starts++;
        if (starts === 1) throw "just a string";
        return untilAborted(signal);
      },
    };
    const root = new Supervisor({ name: "root", logger: silentLogger, backoff: fastBackoff });
    root.add(odd, { restart: "transient" });
    const events = recordEvents(root.events);
    const stop = new AbortController();
    const serving = root.serve(stop.signal);
    await events.waitFor(is("started", "odd"), 2);
    expect(events.seen.find((event) => event.kind === "failed")?.error).toBe("service threw a non-Error value: just a string");
    stop.abort();
    await serving;
    events.stop();
  });
});

describe("Supervisor: restart policies", () => {
  async function runAlone(policy: "permanent" | "transient" | "temporary", child: Service, until: Parameters<typeof is>) {
    const root = new Supervisor({ name: "root", logger: silentLogger, backoff: fastBackoff });
    const bystander = steady("bystander");
    root.add(child, { restart: policy });
    root.add(bystander.service, { restart: "permanent" });
    const events = recordEvents(root.events);
    const stop = new AbortController();
    const serving = root.serve(stop.signal);
    await events.waitFor(is(...until));
    // The restart decision is made in the same tick as the exit event, so the log is complete here.
    const kinds = root.events
      .recent()
      .filter((event) => event.child === child.name)
      .map((event) => event.kind);
    stop.abort();
    await serving;
    events.stop();
    return kinds;
  }

  function endsOnce(name: string, failure?: Error) {
    let starts = 0;
    return service(name, async (signal) => {
      starts++;
      if (starts === 1) {
        if (failure) throw failure;
        return;
      }
      await untilAborted(signal);
    });
  }

  it("permanent restarts after any exit, transient only after a failure, temporary never", async () => {
    const root = new Supervisor({ name: "root", logger: silentLogger, backoff: fastBackoff });
    root.add(endsOnce("p"), { restart: "permanent" });
    root.add(endsOnce("t-fails", new Error("bad")), { restart: "transient" });
    root.add(endsOnce("t-exits"), { restart: "transient" });
    root.add(endsOnce("tmp-fails", new Error("bad")), { restart: "temporary" });
    const events = recordEvents(root.events);
    const stop = new AbortController();
    const serving = root.serve(stop.signal);
    await events.waitFor(is("started", "p"), 2);
    await events.waitFor(is("started", "t-fails"), 2);
    await events.waitFor(is("exited", "t-exits"));
    await events.waitFor(is("failed", "tmp-fails"));
    stop.abort();
    await serving;
    const story = (child: string) =>
      root.events
        .recent()
        .filter((e) => e.child === child)
        .map((e) => e.kind);
    expect(story("p")).toEqual(["started", "exited", "restarting", "started", "stopped"]);
    expect(story("t-fails")).toEqual(["started", "failed", "restarting", "started", "stopped"]);
    // Ended for good: no restart and nothing to stop.
    expect(story("t-exits")).toEqual(["started", "exited"]);
    expect(story("tmp-fails")).toEqual(["started", "failed"]);
    events.stop();
  });

  it("DoNotRestart ends even a permanent child for good", async () => {
    const kinds = await runAlone("permanent", endsOnce("done", new DoNotRestart("nothing left to do")), ["exited", "done"]);
    expect(kinds).toEqual(["started", "exited"]);
  });
});

describe("Supervisor: escalation", () => {
  it("escalates exceeded intensity to the parent, which restarts the child supervisor, then gives up itself", async () => {
    let crashes = 0;
    const crasher = service("crasher", async () => {
      crashes++;
      throw new Error(`crash ${crashes}`);
    });
    const inner = new Supervisor({
      name: "inner",
      logger: silentLogger,
      intensity: { maxRestarts: 2, withinMs: 10_000 },
      backoff: fastBackoff,
    });
    inner.add(crasher, { restart: "permanent" });
    const outer = new Supervisor({
      name: "outer",
      logger: silentLogger,
      intensity: { maxRestarts: 1, withinMs: 10_000 },
      backoff: fastBackoff,
    });
    let steadyStopped = false;
    outer.add(
      service("steady", async (signal) => {
        await untilAborted(signal);
        steadyStopped = true;
      }),
      { restart: "permanent" },
    );
    outer.add(inner, { restart: "permanent" });

    const failure = await outer.serve(new AbortController().signal).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(IntensityExceeded);
    expect(failure).toMatchObject({ supervisor: "outer", maxRestarts: 1, lastChild: "inner" });
    const cause = (failure as Error).cause;
    expect(cause).toBeInstanceOf(IntensityExceeded);
    expect(cause).toMatchObject({ supervisor: "inner", lastChild: "crasher" });
    expect((failure as Error).message).toContain("raise the supervisor's intensity");
    // Twice three crashes: two restarts allowed each time, the third escalates.
    expect(crashes).toBe(6);
    expect(steadyStopped).toBe(true);
    const outerStory = outer.events
      .recent()
      .filter((event) => event.supervisor === "outer")
      .map((event) => `${event.child}:${event.kind}`);
    expect(outerStory).toEqual(["steady:started", "inner:started", "inner:failed", "inner:restarting", "inner:started", "inner:failed", "steady:stopped"]);
    // The nested supervisor's events show in its parent's log.
    expect(outer.events.recent().filter(is("failed", "crasher", "inner"))).toHaveLength(6);
  });

  it("TerminateTree stops every supervisor up to the root, siblings in reverse order", async () => {
    const stopped: string[] = [];
    const stopsWhenAsked = (name: string) =>
      service(name, async (signal) => {
        await untilAborted(signal);
        stopped.push(name);
      });
    const inner = new Supervisor({ name: "inner", logger: silentLogger, backoff: fastBackoff });
    inner.add(stopsWhenAsked("inner-a"), { restart: "permanent" });
    inner.add(
      service("fatal", async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw new TerminateTree("the repository is gone");
      }),
      { restart: "permanent" },
    );
    const root = new Supervisor({ name: "root", logger: silentLogger, backoff: fastBackoff });
    root.add(stopsWhenAsked("root-a"), { restart: "permanent" });
    root.add(inner, { restart: "permanent" });
    root.add(stopsWhenAsked("root-b"), { restart: "permanent" });

    const failure = await root.serve(new AbortController().signal).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(TerminateTree);
    expect((failure as Error).message).toBe("the repository is gone");
    expect(stopped).toEqual(["inner-a", "root-b", "root-a"]);
    expect(root.events.recent().filter((event) => event.kind === "restarting")).toEqual([]);
  });
});

describe("Supervisor: start and stop", () => {
  it("starts children in order, waiting for those that report readiness, and reports ready itself last", async () => {
    const order: string[] = [];
    const slowToStart: ReadinessReporting = {
      name: "slow",
      reportsReadiness: true,
      async serve(signal, ready) {
        order.push("slow serving");
        await new Promise((resolve) => setTimeout(resolve, 60));
        order.push("slow ready");
        ready?.();
        await untilAborted(signal);
      },
    };
    const inner = new Supervisor({ name: "inner", logger: silentLogger });
    inner.add(slowToStart, { restart: "permanent" });
    const root = new Supervisor({ name: "root", logger: silentLogger });
    root.add(inner, { restart: "permanent" });
    root.add(
      service("next", async (signal) => (order.push("next serving"), await untilAborted(signal))),
      { restart: "permanent" },
    );
    const stop = new AbortController();
    let rootReady!: () => void;
    const ready = new Promise<void>((resolve) => (rootReady = resolve));
    const serving = root.serve(stop.signal, () => (order.push("root ready"), rootReady()));
    await ready;
    expect(order).toEqual(["slow serving", "slow ready", "next serving", "root ready"]);
    expect(root.events.recent().map((event) => `${event.supervisor}/${event.child}:${event.kind}`)).toEqual(["inner/slow:started", "root/inner:started", "root/next:started"]);
    stop.abort();
    await serving;
  });

  it("stops in reverse start order, reports a child that ignores its signal, and does not hang", async () => {
    const { logger, records } = captureLogger();
    const askedToStop: Array<[string, number]> = [];
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const polite = (name: string) =>
      service(name, async (signal) => {
        await untilAborted(signal);
        askedToStop.push([name, performance.now()]);
      });
    const root = new Supervisor({ name: "root", logger, stopTimeoutMs: 2000 });
    root.add(polite("first"), { restart: "permanent" });
    root.add(
      service("stubborn", async (signal) => {
        await untilAborted(signal);
        askedToStop.push(["stubborn", performance.now()]);
        await released; // ignores the signal until the test lets it go
      }),
      { restart: "permanent", stopTimeoutMs: 100 },
    );
    root.add(polite("last"), { restart: "permanent" });
    const events = recordEvents(root.events);
    const stop = new AbortController();
    const serving = root.serve(stop.signal);
    await events.waitFor(is("started", "last"));

    const stopAt = performance.now();
    stop.abort();
    const failure = await serving.catch((error: unknown) => error);
    const tookMs = performance.now() - stopAt;
    release();

    expect(failure).toBeInstanceOf(StopTimedOut);
    expect((failure as StopTimedOut).unstopped).toEqual(["root/stubborn"]);
    expect(askedToStop.map(([name]) => name)).toEqual(["last", "stubborn", "first"]);
    const [, stubbornAt] = askedToStop[1]!;
    const [, firstAt] = askedToStop[2]!;
    expect(firstAt - stubbornAt).toBeGreaterThanOrEqual(99);
    expect(tookMs).toBeLessThan(1500);
    expect(
      root.events
        .recent()
        .filter((event) => !["started"].includes(event.kind))
        .map((event) => `${event.child}:${event.kind}`),
    ).toEqual(["last:stopped", "stubborn:stop_timeout", "first:stopped"]);
    expect(records().find((record) => record.event === "stop_timeout")).toMatchObject({
      level: 50,
      child: "stubborn",
    });
    events.stop();
  });

  it("passes a nested supervisor's unstopped children up as paths", async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const inner = new Supervisor({ name: "inner", logger: silentLogger, stopTimeoutMs: 50 });
    inner.add(
      service("deaf", () => released),
      { restart: "permanent" },
    );
    const root = new Supervisor({ name: "root", logger: silentLogger });
    root.add(inner, { restart: "permanent" });
    const stop = new AbortController();
    const serving = root.serve(stop.signal);
    const events = recordEvents(root.events);
    await events.waitFor(is("started", "inner"));
    events.stop();
    stop.abort();
    const failure = await serving.catch((error: unknown) => error);
    release();
    expect(failure).toBeInstanceOf(StopTimedOut);
    expect((failure as StopTimedOut).unstopped).toEqual(["root/inner/deaf"]);
    expect((failure as Error).message).toContain("honour their abort signal");
  });

  it("starts a child added while running at once, and can be served again after it stopped", async () => {
    const root = new Supervisor({ name: "root", logger: silentLogger });
    const early = steady("early");
    const late = steady("late");
    root.add(early.service, { restart: "permanent" });
    for (let round = 1; round <= 2; round++) {
      const events = recordEvents(root.events);
      const stop = new AbortController();
      const serving = root.serve(stop.signal);
      await events.waitFor(is("started", "early"));
      if (round === 1) root.add(late.service, { restart: "permanent" });
      await events.waitFor(is("started", "late"));
      stop.abort();
      await serving;
      events.stop();
    }
    expect([early.runs.starts, late.runs.starts]).toEqual([2, 2]);
  });
});

describe("Supervisor: bad input", () => {
  function invalid(build: () => unknown): ConnectError {
    try {
      build();
    } catch (error) {
      expect(error).toBeInstanceOf(ConnectError);
      expect((error as ConnectError).code).toBe(Code.InvalidArgument);
      return error as ConnectError;
    }
    throw new Error("expected an InvalidArgument error");
  }

  it("names the option that is wrong", () => {
    expect(invalid(() => new Supervisor({ name: "root", logger: silentLogger, intensity: { maxRestarts: -1 } })).rawMessage).toContain("intensity.maxRestarts");
    expect(invalid(() => new Supervisor({ name: "root", logger: silentLogger, backoff: { initialMs: 500, maxMs: 100 } })).rawMessage).toMatch(/backoff\.maxMs.*at least initialMs/);
    expect(invalid(() => new Supervisor({ name: " ", logger: silentLogger })).rawMessage).toContain("name");
    const root = new Supervisor({ name: "root", logger: silentLogger });
    const child = steady("child").service;
    expect(invalid(() => root.add(child, { restart: "sometimes" as "permanent" })).rawMessage).toMatch(/child "child": restart/);
    root.add(child, { restart: "permanent" });
    expect(invalid(() => root.add(child, { restart: "permanent" })).rawMessage).toContain("already a child");
  });

  it("refuses to serve twice at once", async () => {
    const root = new Supervisor({ name: "root", logger: silentLogger });
    const stop = new AbortController();
    const serving = root.serve(stop.signal);
    const second = await root.serve(stop.signal).catch((error: unknown) => error);
    expect(second).toBeInstanceOf(ConnectError);
    expect((second as ConnectError).code).toBe(Code.FailedPrecondition);
    stop.abort();
    await serving;
  });
});
