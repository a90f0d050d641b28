import { userInfo } from "node:os";

/** Who the person at this terminal is, for the author of what they say ($USER, else the login name). */
export function personName(): string {
  if (process.env.USER) return process.env.USER;
  try {
    return userInfo().username;
  } catch {
    return "cli";
  }
}
