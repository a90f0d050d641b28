import { randomBytes } from "node:crypto";
import { nkeys } from "@nats-io/transport-node";

type KeyPair = ReturnType<typeof nkeys.createUser>;

/**
 * A NATS operator, account and user minted here (what `nsc` would write), so a test
 * can run nats-server in operator mode and connect with a real .creds file.
 */
export interface DecentralizedAuth {
  /** nats-server configuration: the operator and its account, resolved from memory. */
  serverConfig: string;
  /** The user's .creds file text: its JWT and its nkey seed. */
  creds: string;
  /** The same user's JWT signed by an account the server does not know: refused. */
  strangerCreds: string;
}

export function mintDecentralizedAuth(): DecentralizedAuth {
  const operator = nkeys.createOperator();
  const account = nkeys.createAccount();
  const user = nkeys.createUser();
  const operatorJwt = encodeJwt(operator, operator.getPublicKey(), { type: "operator", version: 2 });
  const accountJwt = encodeJwt(operator, account.getPublicKey(), {
    type: "account",
    version: 2,
    limits: { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 },
  });
  const userClaims = { type: "user", version: 2, pub: {}, sub: {}, subs: -1, data: -1, payload: -1 };
  const userJwt = encodeJwt(account, user.getPublicKey(), userClaims);
  const strangerJwt = encodeJwt(nkeys.createAccount(), user.getPublicKey(), userClaims);
  return {
    serverConfig: [`operator: ${operatorJwt}`, "resolver: MEMORY", "resolver_preload: {", `  ${account.getPublicKey()}: ${accountJwt}`, "}", ""].join("\n"),
    creds: credsFile(userJwt, user),
    strangerCreds: credsFile(strangerJwt, user),
  };
}

function encodeJwt(signer: KeyPair, subject: string, nats: Record<string, unknown>): string {
  const header = base64url(JSON.stringify({ typ: "JWT", alg: "ed25519-nkey" }));
  const claims = {
    jti: randomBytes(16).toString("hex").toUpperCase(),
    iat: Math.floor(Date.now() / 1000),
    iss: signer.getPublicKey(),
    name: subject.slice(0, 8),
    sub: subject,
    nats,
  };
  const signed = `${header}.${base64url(JSON.stringify(claims))}`;
  return `${signed}.${base64url(signer.sign(new TextEncoder().encode(signed)))}`;
}

function credsFile(jwt: string, user: KeyPair): string {
  const seed = new TextDecoder().decode(user.getSeed());
  return [
    "-----BEGIN NATS USER JWT-----",
    jwt,
    "------END NATS USER JWT------",
    "",
    "************************* IMPORTANT *************************",
    "NKEY Seed printed below can be used to sign and prove identity.",
    "",
    "-----BEGIN USER NKEY SEED-----",
    seed,
    "------END USER NKEY SEED------",
    "",
  ].join("\n");
}

const base64url = (data: string | Uint8Array) => Buffer.from(data).toString("base64url");
