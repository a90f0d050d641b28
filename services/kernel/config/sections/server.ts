import { z } from "zod";

export const serverSection = z.strictObject({
  host: z.string().min(1).default("127.0.0.1"),
  port: z.coerce.number().int().min(0).max(65535).default(3001),
  /** Bearer token for mutating RPCs; required when host is not loopback. */
  authToken: z.string().default(""),
  /** Largest request message accepted, in bytes. */
  maxRequestBytes: z.coerce.number().int().min(1024).max(256 * 1024 * 1024).default(4 * 1024 * 1024),
  /** Idle streams get a keep-alive this often. */
  keepaliveSeconds: z.coerce.number().min(0.05).max(300).default(15),
  /** How long shutdown waits for streams and calls to finish. */
  shutdownGraceSeconds: z.coerce.number().min(0).max(120).default(5),
});

export const serverEnv = {
  PUSHPALS_HOST: "server.host",
  PUSHPALS_PORT: "server.port",
  PUSHPALS_AUTH_TOKEN: "server.authToken",
} as const;
