import { CliFailure, EXIT } from "../exit-codes.js";

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90s", "30m", "2h", "1d", or "1h30m" → milliseconds; anything else is a usage error naming the argument. */
export function freezeDurationMs(text: string): number {
  const parts = [...text.matchAll(/(\d+)([smhd])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) {
    throw new CliFailure(`freeze: "${text}" is not a duration; write it like 30m, 2h, 1d or 1h30m`, EXIT.usage);
  }
  return parts.reduce((total, [, amount, unit]) => total + Number(amount) * UNIT_MS[unit!]!, 0);
}
