import { invalidArgument } from "../../shared/errors.js";

/**
 * Page tokens are opaque to clients: base64url of the last id of the previous page,
 * checked on the way back in so a forged token is an InvalidArgument, not a query.
 */
export function encodePageToken(lastId: string | undefined): string {
  return lastId ? Buffer.from(lastId, "utf8").toString("base64url") : "";
}

export function decodePageToken(token: string, idPattern: RegExp): string | undefined {
  if (token === "") return undefined;
  const id = Buffer.from(token, "base64url").toString("utf8");
  if (!idPattern.test(id)) throw invalidArgument("page_token", "is not a next_page_token this server returned; start again without it");
  return id;
}

/**
 * Event pages continue after a seq; the token also names the session so that a
 * token of one session is refused for another instead of silently skipping events.
 */
export function encodeSeqToken(sessionId: string, afterSeq: bigint): string {
  return encodePageToken(`${sessionId}/${afterSeq}`);
}

export function decodeSeqToken(token: string, sessionId: string): bigint {
  const decoded = decodePageToken(token, /^ses_[0-9A-HJKMNP-TV-Z]{26}\/\d{1,20}$/) ?? "";
  const [tokenSession, seq] = decoded.split("/");
  if (tokenSession !== sessionId || seq === undefined) {
    throw invalidArgument("page_token", `belongs to another session than ${sessionId}; start again without it`);
  }
  return BigInt(seq);
}

export function pageLimit(pageSize: number, fallback = 50): number {
  return pageSize === 0 ? fallback : pageSize;
}

/**
 * One keyset page out of `limit + 1` rows fetched: the first `limit`, and a token for the next
 * page only when the extra row shows there is one.
 */
export function keysetPage<T extends { id: string }>(rows: T[], limit: number): { page: T[]; nextPageToken: string } {
  const page = rows.slice(0, limit);
  return { page, nextPageToken: rows.length > limit ? encodePageToken(page.at(-1)?.id) : "" };
}
