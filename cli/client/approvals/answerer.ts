import { userInfo } from "node:os";

/** Who answers an approval from this terminal: $USER, else the OS account name. */
export function answererName(): string {
  if (process.env.USER) return process.env.USER;
  try {
    return userInfo().username;
  } catch {
    return "cli";
  }
}
