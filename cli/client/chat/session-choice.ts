import { basename } from "node:path";
import { Code } from "@connectrpc/connect";
import type { Session } from "../../../gen/pushpals/v1/sessions_pb.js";
import type { Clients } from "../../../shared/clients.js";
import { isConnectCode } from "../../../shared/errors.js";
import { isId } from "../../../shared/ids.js";
import { requireGitRepo } from "../../git-repo-check.js";
import { CliFailure, EXIT, usageError } from "../exit-codes.js";
import { UNARY_CALL } from "../server-connection.js";
import { readRememberedSession, rememberSession } from "../session-file.js";

export interface SessionChoice {
  session: Session;
  /** The repository the session is remembered for (undefined when --session chose it). */
  repo?: string;
  created: boolean;
}

/**
 * Checks what can be checked before talking to the server: the --session id's shape,
 * or (without one) that we are in a git repository, whose top level is returned.
 */
export async function locateSession(options: { sessionFlag?: string; repoFlag?: string }): Promise<{ repo?: string }> {
  if (options.sessionFlag) {
    if (!isId("session", options.sessionFlag)) {
      throw usageError(`--session: "${options.sessionFlag}" is not a session id (ses_ and 26 characters); see \`pushpals sessions\``);
    }
    return {};
  }
  const repo = await requireGitRepo(options.repoFlag ?? process.cwd()).catch((error: Error) => {
    throw new CliFailure(`${error.message}; or pick a session with --session ID`, EXIT.usage);
  });
  return { repo };
}

/**
 * --session when given; else the repository's remembered session (cli-session in its data dir),
 * else a new one titled after the repository, remembered for next time. `fresh` skips the
 * remembered one. `repo` comes from locateSession.
 */
export async function chooseSession(clients: Clients, options: { sessionFlag?: string; repo?: string; fresh?: boolean }): Promise<SessionChoice> {
  if (options.sessionFlag) {
    const session = await getSession(clients, options.sessionFlag);
    if (!session) throw new CliFailure(`session ${options.sessionFlag} does not exist on this server; see \`pushpals sessions\``);
    return { session, created: false };
  }
  const repo = options.repo;
  if (!repo) throw new Error("chooseSession needs the repository when no --session is given");
  const remembered = options.fresh ? undefined : await readRememberedSession(repo);
  const existing = remembered ? await getSession(clients, remembered) : undefined;
  if (existing) return { session: existing, repo, created: false };
  const { session } = await clients.sessions.createSession({ title: basename(repo) }, UNARY_CALL);
  if (!session) throw new Error("the server answered CreateSession without a session");
  await rememberSession(repo, session.id);
  return { session, repo, created: true };
}

async function getSession(clients: Clients, sessionId: string): Promise<Session | undefined> {
  try {
    return (await clients.sessions.getSession({ sessionId }, UNARY_CALL)).session;
  } catch (error) {
    // A remembered session the server no longer has (a reset data dir): start a new one.
    if (isConnectCode(error, Code.NotFound)) return undefined;
    throw error;
  }
}
