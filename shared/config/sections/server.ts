import { z } from "zod";
import { tokenProblem } from "../../rpc/auth.js";
import { onOff } from "../on-off.js";

export const serverSection = z.strictObject({
  host: z.string().min(1).default("127.0.0.1"),
  port: z.coerce.number().int().min(0).max(65535).default(3001),
  /** Bearer token every RPC but health needs; required when host is not loopback. Empty: none. */
  authToken: z
    .string()
    .default("")
    .superRefine((token, context) => {
      const problem = tokenProblem(token);
      if (problem !== undefined) context.addIssue({ code: "custom", message: problem });
    }),
  /** With a token set: whether gRPC server reflection still answers without it. */
  openReflection: onOff.default(true),
  /** Largest request message accepted, in bytes. */
  maxRequestBytes: z.coerce
    .number()
    .int()
    .min(1024)
    .max(256 * 1024 * 1024)
    .default(4 * 1024 * 1024),
  /** Idle streams get a keep-alive this often. */
  keepaliveSeconds: z.coerce.number().min(0.05).max(300).default(15),
  /**
   * An HTTP/2 connection or stream with no frames either way for this long is closed. Must exceed
   * the longest long-poll claim (60 s) and keepalive_seconds.
   */
  idleTimeoutSeconds: z.coerce.number().min(65).max(86_400).default(300),
  /** How long shutdown waits for streams and calls to finish. */
  shutdownGraceSeconds: z.coerce.number().min(0).max(120).default(5),
  /**
   * Web origins (scheme://host[:port]) whose pages may call the RPCs with Connect-Web or gRPC-Web
   * (CORS). Empty: none, the browser's same-origin rule stands. In the environment, comma-separated.
   */
  corsOrigins: z
    .preprocess(
      (value) =>
        typeof value === "string"
          ? value
              .split(",")
              .map((origin) => origin.trim())
              .filter(Boolean)
          : value,
      // Checked as a whole so the message points at the key as the person wrote it (one string in the environment).
      z.array(z.string()).superRefine((origins, context) => {
        for (const origin of origins.filter((o) => !/^https?:\/\/[^/\s]+$/.test(o))) {
          context.addIssue({
            code: "custom",
            message: `${JSON.stringify(origin)} is not an origin; write scheme://host[:port] like "https://ui.example.com" or "http://localhost:5173" (no path, no trailing slash)`,
          });
        }
      }),
    )
    .default([]),
});

export const serverEnv = {
  PUSHPALS_HOST: "server.host",
  PUSHPALS_PORT: "server.port",
  PUSHPALS_AUTH_TOKEN: "server.authToken",
  PUSHPALS_OPEN_REFLECTION: "server.openReflection",
  PUSHPALS_CORS_ORIGINS: "server.corsOrigins",
} as const;
