import type { RequestHandler } from "./one-port.js";

/** Standard or URL-safe base64, padded or not, as the Connect protocol allows in `message`. */
const BASE64 = /^(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}(?:==)?|[A-Za-z0-9+/_-]{3}=?)?$/;

/**
 * Connect's GET form carries the request in the query (`?connect=v1&base64=1&message=…`).
 * connect-node decodes that base64 with a plain Error on bad input, which reaches the client as
 * `internal`, HTTP 500. A bad message is the caller's mistake: answer `invalid_argument` (400)
 * naming the parameter before connect-node sees the request.
 */
export function checkConnectGetMessages(next: RequestHandler): RequestHandler {
  return (request, response) => {
    if (request.method === "GET" && request.url?.includes("?")) {
      const query = new URLSearchParams(request.url.slice(request.url.indexOf("?") + 1));
      const message = query.get("message");
      if (query.get("connect") === "v1" && query.get("base64") === "1" && message !== null && !BASE64.test(message)) {
        const body = JSON.stringify({
          code: "invalid_argument",
          message: "message: is not valid base64 (the query's base64=1 says it is); encode the request with standard or URL-safe base64",
        });
        response.writeHead(400, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
        response.end(body);
        return;
      }
    }
    next(request, response);
  };
}
