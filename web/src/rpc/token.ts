/**
 * The bearer token a person typed into the page, kept for this tab only (session storage):
 * it survives a reload, not the closing of the tab, and no other site can read it.
 */
const KEY = "pushpals.token";

/** Session storage where there is one (the page); Node (the tests of the calls) has none. */
interface TabStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}
const storage = (): TabStorage | undefined => (globalThis as { sessionStorage?: TabStorage }).sessionStorage;

export function readToken(): string {
  try {
    return storage()?.getItem(KEY) ?? "";
  } catch {
    return "";
  }
}

export function saveToken(token: string): void {
  try {
    if (token === "") storage()?.removeItem(KEY);
    else storage()?.setItem(KEY, token);
  } catch {
    // Storage refused (private mode): the token lasts until the page reloads.
  }
  current = token;
}

let current = readToken();

export function currentToken(): string {
  return current;
}
