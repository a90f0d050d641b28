import { z } from "zod";

export const busSection = z.strictObject({
  /** Empty means the in-process bus (embedded mode); nats://host:port means NATS. */
  natsUrl: z
    .string()
    .default("")
    .refine((v) => v === "" || /^(nats|tls):\/\//.test(v), "must be empty (in-process bus) or a nats:// URL"),
});

export const busEnv = {
  PUSHPALS_NATS_URL: "bus.natsUrl",
} as const;
