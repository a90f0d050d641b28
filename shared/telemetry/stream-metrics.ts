import type { Interceptor } from "@connectrpc/connect";
import { observeStream } from "../rpc/stream-hooks.js";
import { streamSubscribers } from "./metrics.js";

/** Counts each server stream from its first moment until it ends, however it ends. */
export const countStreamSubscribers: Interceptor = (next) => async (req) => {
  const res = await next(req);
  if (!res.stream) return res;
  const labels = { rpc: `${req.service.typeName}/${req.method.name}` };
  const messages = res.message;
  streamSubscribers.inc(labels);
  let counted = true;
  const uncount = () => {
    if (counted) streamSubscribers.dec(labels);
    counted = false;
  };
  // A stream cut before it is first read never runs the generator's finally.
  req.signal.addEventListener("abort", uncount, { once: true });
  return { ...res, message: observeStream(messages, { onEnd: uncount }) };
};
