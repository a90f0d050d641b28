import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * A full garbage collection on demand, without starting the worker with --expose-gc:
 * the flag set at run time exposes `gc` in contexts made after it.
 */
export function forceGc(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

/** Collects garbage every `everyMs` until the returned function is called. */
export function collectGarbageOften(everyMs = 20): () => void {
  const gc = forceGc();
  const timer = setInterval(gc, everyMs);
  return () => clearInterval(timer);
}
