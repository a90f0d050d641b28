/**
 * The Fetch standard's Headers, for the bundled terminal client only (scripts/bundle-cli.ts
 * injects it for every free `Headers` in the bundle, @connectrpc's included). On Node 20 the
 * global `Headers` is a lazy getter that loads and compiles all of undici, ~25 ms of CPU at
 * every `pushpals status`, for a map of a dozen strings; the client never calls fetch().
 *
 * Same observable behaviour as the standard's for what a header map does: names are
 * case-insensitive and listed lower-cased in sorted order, values are trimmed of HTTP
 * whitespace, append joins with ", " (except set-cookie, kept apart), invalid names and
 * values throw TypeError. tests/cli/light-headers.test.ts compares it with Node's.
 */
type Init = Iterable<readonly [string, string]> | Record<string, string> | undefined;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Leading and trailing HTTP whitespace: tab, line feed, carriage return, space.
const EDGE_WHITESPACE = /^[\t\n\r ]+|[\t\n\r ]+$/g;
// After trimming, a value may hold no NUL, CR or LF.
const FORBIDDEN_IN_VALUE = /[\0\r\n]/;

function headerName(name: string): string {
  const text = String(name);
  if (!TOKEN.test(text)) throw new TypeError(`Headers: invalid header name ${JSON.stringify(text)}`);
  return text.toLowerCase();
}

function headerValue(value: string): string {
  const text = String(value).replace(EDGE_WHITESPACE, "");
  if (FORBIDDEN_IN_VALUE.test(text)) throw new TypeError(`Headers: invalid header value ${JSON.stringify(text)}`);
  return text;
}

export class Headers {
  /** Lower-cased name → combined value; set-cookie lives in `cookies`, one entry per header. */
  readonly #values = new Map<string, string>();
  readonly #cookies: string[] = [];

  constructor(init?: Init) {
    if (init === undefined || init === null) return;
    if (typeof init !== "object") throw new TypeError("Headers: init must be an object, a list of pairs or Headers");
    if (Symbol.iterator in init) {
      for (const pair of init as Iterable<readonly [string, string]>) {
        if (pair.length !== 2) throw new TypeError("Headers: each header in the list must be a [name, value] pair");
        this.append(pair[0], pair[1]);
      }
    } else {
      for (const [name, value] of Object.entries(init)) this.append(name, value);
    }
  }

  append(name: string, value: string): void {
    const key = headerName(name);
    const text = headerValue(value);
    if (key === "set-cookie") {
      this.#cookies.push(text);
      return;
    }
    const existing = this.#values.get(key);
    this.#values.set(key, existing === undefined ? text : `${existing}, ${text}`);
  }

  set(name: string, value: string): void {
    const key = headerName(name);
    const text = headerValue(value);
    if (key === "set-cookie") this.#cookies.splice(0, this.#cookies.length, text);
    else this.#values.set(key, text);
  }

  delete(name: string): void {
    const key = headerName(name);
    if (key === "set-cookie") this.#cookies.length = 0;
    else this.#values.delete(key);
  }

  get(name: string): string | null {
    const key = headerName(name);
    if (key === "set-cookie") return this.#cookies.length === 0 ? null : this.#cookies.join(", ");
    return this.#values.get(key) ?? null;
  }

  has(name: string): boolean {
    const key = headerName(name);
    return key === "set-cookie" ? this.#cookies.length > 0 : this.#values.has(key);
  }

  getSetCookie(): string[] {
    return [...this.#cookies];
  }

  forEach(callback: (value: string, name: string, headers: Headers) => void, thisArg?: unknown): void {
    for (const [name, value] of this.entries()) callback.call(thisArg, value, name, this);
  }

  /** Sorted by name, as the standard's iteration is; each set-cookie header on its own. */
  *entries(): IterableIterator<[string, string]> {
    const names = [...this.#values.keys()];
    if (this.#cookies.length > 0) names.push("set-cookie");
    for (const name of names.sort()) {
      if (name === "set-cookie") for (const cookie of this.#cookies) yield [name, cookie];
      else yield [name, this.#values.get(name)!];
    }
  }

  *keys(): IterableIterator<string> {
    for (const [name] of this.entries()) yield name;
  }

  *values(): IterableIterator<string> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  get [Symbol.toStringTag](): string {
    return "Headers";
  }
}
