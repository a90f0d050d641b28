import { z } from "zod";

export const busSection = z.strictObject({
  /** Empty means the in-process bus (embedded mode); nats://host:port means NATS. */
  natsUrl: z
    .string()
    .default("")
    .refine((v) => v === "" || /^(nats|tls):\/\//.test(v), "must be empty (in-process bus) or a nats:// URL"),
  /** A NATS .creds file (user JWT and nkey seed); empty for none. One way to authenticate: URL credentials, this, or the token. */
  natsCredsFile: z.string().default(""),
  /** A NATS token (nats-server `authorization { token }`); empty for none. */
  natsToken: z.string().default(""),
});

export const busEnv = {
  PUSHPALS_NATS_URL: "bus.natsUrl",
  PUSHPALS_NATS_CREDS: "bus.natsCredsFile",
  PUSHPALS_NATS_TOKEN: "bus.natsToken",
} as const;
