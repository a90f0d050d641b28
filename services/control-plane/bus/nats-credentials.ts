import { readFile } from "node:fs/promises";
import { credsAuthenticator, type ConnectionOptions } from "@nats-io/transport-node";
import { errorMessage, invalidArgument } from "../../../shared/errors.js";

/** Where the bus settings come from, for messages that say what to fix. */
const WHERE = {
  url: "bus.natsUrl (PUSHPALS_NATS_URL)",
  token: "bus.natsToken (PUSHPALS_NATS_TOKEN)",
  credsFile: "bus.natsCredsFile (PUSHPALS_NATS_CREDS)",
} as const;

export interface NatsCredentialSettings {
  /** nats://host:port, optionally nats://user:password@host:port or nats://token@host:port. */
  url: string;
  /** A .creds file (user JWT and nkey seed, as `nsc generate creds` writes it). */
  credsFile?: string;
  token?: string;
}

export interface NatsConnectTarget {
  /** The server URL without its credentials: what the client dials. */
  server: string;
  /** The URL as it may appear in logs and errors. */
  redactedUrl: string;
  /** The client's authentication options. */
  auth: Pick<ConnectionOptions, "user" | "pass" | "token" | "authenticator">;
  /** How this client authenticates, without the secret: for logs and for errors that say what to fix. */
  method: string;
  /** The setting to fix when the server refuses, or undefined when none is configured. */
  setting: string | undefined;
}

/**
 * The connection target for the configured NATS settings: credentials taken out of
 * the URL (the Node client does not read them there), at most one way to
 * authenticate, and a creds file read and checked now so a bad one fails at start.
 */
export async function natsConnectTarget(settings: NatsCredentialSettings): Promise<NatsConnectTarget> {
  const { server, user, pass } = splitUrl(settings.url);
  const token = settings.token ?? "";
  const credsFile = settings.credsFile ?? "";
  const ways = [user !== undefined && WHERE.url, token !== "" && WHERE.token, credsFile !== "" && WHERE.credsFile].filter(Boolean);
  if (ways.length > 1) {
    throw invalidArgument("bus", `NATS credentials are set in ${ways.join(" and ")}; keep one of them (the one your nats-server expects)`);
  }
  const redactedUrl = redactNatsUrl(settings.url);
  if (user !== undefined && pass !== undefined) {
    return { server, redactedUrl, auth: { user, pass }, method: `user "${user}" and password from ${WHERE.url}`, setting: WHERE.url };
  }
  // nats://token@host: the NATS clients' convention for a token in the URL.
  if (user !== undefined) return { server, redactedUrl, auth: { token: user }, method: `token from ${WHERE.url}`, setting: WHERE.url };
  if (token !== "") {
    if (token.trim() !== token) throw invalidArgument("bus.natsToken", "has leading or trailing whitespace; set PUSHPALS_NATS_TOKEN to the token alone");
    return { server, redactedUrl, auth: { token }, method: `token from ${WHERE.token}`, setting: WHERE.token };
  }
  if (credsFile !== "") {
    const authenticator = credsAuthenticator(await readCreds(credsFile));
    return { server, redactedUrl, auth: { authenticator }, method: `creds file ${credsFile} (${WHERE.credsFile})`, setting: WHERE.credsFile };
  }
  return { server, redactedUrl, auth: {}, method: "no credentials", setting: undefined };
}

async function readCreds(file: string): Promise<Uint8Array> {
  let creds: Uint8Array;
  try {
    creds = await readFile(file);
  } catch (error) {
    throw invalidArgument("bus.natsCredsFile", `could not read ${file}: ${errorMessage(error)}; point PUSHPALS_NATS_CREDS at the .creds file for this client`);
  }
  try {
    // Signing a challenge parses the JWT and the seed, as the handshake will.
    credsAuthenticator(creds)("pushpals-start-up-check");
  } catch (error) {
    throw invalidArgument(
      "bus.natsCredsFile",
      `${file} is not a NATS .creds file (${errorMessage(error)}); it must hold a user JWT and its nkey seed, as \`nsc generate creds\` writes them`,
    );
  }
  return creds;
}

/**
 * The URL's scheme, credentials and the rest. The credentials end at the *last* '@':
 * a password with an unencoded '@' or '/' is still taken out whole (and redacted whole).
 */
function urlParts(url: string): { scheme: string; userinfo?: string; rest: string } {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0] ?? "";
  const afterScheme = url.slice(scheme.length);
  const at = afterScheme.lastIndexOf("@");
  if (at === -1) return { scheme, rest: afterScheme };
  return { scheme, userinfo: afterScheme.slice(0, at), rest: afterScheme.slice(at + 1) };
}

/** Splits nats://user:password@host:port into the server and its (percent-decoded) credentials. */
function splitUrl(url: string): { server: string; user?: string; pass?: string } {
  const { scheme, userinfo, rest } = urlParts(url);
  if (userinfo === undefined) return { server: url };
  const colon = userinfo.indexOf(":");
  const decode = (part: string, what: string): string => {
    try {
      return decodeURIComponent(part);
    } catch {
      throw invalidArgument("bus.natsUrl", `the ${what} in the URL is not valid percent-encoding; encode reserved characters (e.g. % as %25) in PUSHPALS_NATS_URL`);
    }
  };
  const user = decode(colon === -1 ? userinfo : userinfo.slice(0, colon), "user");
  if (user === "") throw invalidArgument("bus.natsUrl", "has an empty user before '@'; write nats://user:password@host:port or leave the credentials out");
  return { server: `${scheme}${rest}`, user, pass: colon === -1 ? undefined : decode(userinfo.slice(colon + 1), "password") };
}

/** nats://user:secret@host:4222 → nats://user:***@host:4222, nats://token@host → nats://***@host: for logs, errors and banners. */
export function redactNatsUrl(url: string): string {
  const { scheme, userinfo, rest } = urlParts(url);
  if (userinfo === undefined) return url;
  const colon = userinfo.indexOf(":");
  return `${scheme}${colon === -1 ? "***" : `${userinfo.slice(0, colon)}:***`}@${rest}`;
}
