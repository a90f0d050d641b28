import type { Config } from "../../shared/config/schema.js";
import { errorMessage } from "../../shared/errors.js";
import { hostGit } from "../../shared/git/host-git.js";
import { broken, ok, warn, type Probe } from "./probe.js";

/** git on the PATH, the repository, and its base branch (jobs start from it). */
export function gitProbe(config: Config): Probe {
  return {
    name: "git",
    async run() {
      let version: string;
      try {
        version = (await hostGit(config.repo.path, ["--version"])).replace(/^git version /, "");
      } catch (error) {
        return broken(`git does not run: ${errorMessage(error)}`, "install git (apt-get install git) and put it on the PATH");
      }
      let top: string;
      try {
        top = await hostGit(config.repo.path, ["rev-parse", "--show-toplevel"]);
      } catch {
        return broken(`git ${version}; ${config.repo.path} is not a git repository`, "run pushpals inside one, pass --repo DIR, or create one with `git init`");
      }
      const base = config.repo.baseBranch;
      const hasBase = await hostGit(top, ["rev-parse", "--verify", "--quiet", `refs/heads/${base}^{commit}`]).then(
        () => true,
        () => false,
      );
      if (!hasBase) {
        return warn(
          `git ${version}; ${top} has no branch ${base} to start jobs from`,
          `commit to ${base}, or set repo.base_branch (PUSHPALS_BASE_BRANCH) to the branch you work on`,
        );
      }
      return ok(`git ${version}; ${top} on base branch ${base}`);
    },
  };
}
