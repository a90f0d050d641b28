import { z } from "zod";

/** A switch from TOML (a boolean) or the environment ("true"/"false", "1"/"0"). */
export const onOff = z.preprocess(
  (value) => ({ true: true, "1": true, false: false, "0": false })[String(value).trim().toLowerCase()] ?? value,
  z.boolean({ error: 'must be true or false (in the environment: "true"/"1" or "false"/"0")' }),
);
