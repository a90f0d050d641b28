import { posix } from "node:path";
import { BWRAP_WORKDIR } from "../../../sandbox/bwrap-args.js";
import { DOCKER_WORKDIR } from "../../../sandbox/docker-driver.js";
import type { SandboxDriver } from "../../../sandbox/driver.js";
import { POD_WORKDIR } from "../../../sandbox/kubernetes/names.js";
import { ENVIRONMENT_HOME } from "./job-environment.js";

/**
 * HOME as commands in a `driver` sandbox on `worktree` see it. Known before the sandbox starts
 * (the agent sandbox's environment is fixed at start): the process driver runs in the worktree
 * itself, the isolated drivers mount or copy it at a fixed path.
 */
export function sandboxHome(driver: SandboxDriver["name"], worktree: string): string {
  const workdir = { process: worktree, bwrap: BWRAP_WORKDIR, docker: DOCKER_WORKDIR, kubernetes: POD_WORKDIR }[driver];
  return posix.join(workdir, ENVIRONMENT_HOME);
}
