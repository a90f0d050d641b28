/**
 * The bearer token a person typed into the page, kept for this tab only (session storage):
 * it survives a reload, not the closing of the tab, and no other site can read it.
 */
const KEY = "pushpals.token";

export function readToken(): string {
  try {
    return sessionStorage.getItem(KEY) ?? "";
  } catch {
    return "";
  }
}

export function saveToken(token: string): void {
  try {
    if (token === "") sessionStorage.removeItem(KEY);
    else sessionStorage.setItem(KEY, token);
  } catch {
    // Storage refused (private mode): the token lasts until the page reloads.
  }
  current = token;
}

let current = readToken();

export function currentToken(): string {
  return current;
}
