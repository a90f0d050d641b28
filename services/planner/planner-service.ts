import { PlanningService } from "../../gen/pushpals/v1/planning_pb.js";
import { createModelClient } from "../../shared/llm/model-client.js";
import type { ServiceContext, ServiceDefinition } from "../../shared/service-definition.js";
import { selectDriver } from "../../sandbox/select-driver.js";
import type { SandboxDriver } from "../../sandbox/driver.js";
import { allowedEnvironment } from "../../shared/secret-environ.js";
import { runAutonomyLoop } from "./autonomy/autonomy-loop.js";
import { sandboxedRepoCommands } from "./autonomy/sandboxed-command.js";
import { runClaimLoops } from "./claim-loop.js";
import { planningService } from "./plan-rpc.js";
import type { PlannerDeps } from "./planner-deps.js";
import { loadPlannerPrompts } from "./planner-prompts.js";
import { plannerSettings, type PlannerSettings } from "./planner-settings.js";

export interface PlannerServiceOptions {
  settings?: Partial<PlannerSettings>;
  /** Another prompts/planner folder (tests of prompt files). */
  promptsDir?: string;
}

/**
 * The planner: PlanningService.Plan (dry run) on the routes, and a loop that claims requests,
 * plans them and enqueues their jobs. Both share one model client and one set of prompts.
 */
export function createPlannerService(options: PlannerServiceOptions = {}): ServiceDefinition {
  let shared: Promise<PlannerDeps> | undefined;
  const depsOf = (context: ServiceContext): Promise<PlannerDeps> => {
    shared ??= buildDeps(context, options).catch((error: unknown) => {
      shared = undefined;
      throw error;
    });
    return shared;
  };
  return {
    name: "planner",
    routes(router, context) {
      router.service(
        PlanningService,
        planningService(() => depsOf(context())),
      );
    },
    async run(context, signal) {
      const deps = await depsOf(context);
      const { config } = context;
      const autonomyLogger = deps.logger.child({ loop: "autonomy" });
      // The runner's sandbox driver, chosen when a collector first runs a command.
      let driver: Promise<SandboxDriver> | undefined;
      const runCommand = sandboxedRepoCommands(
        () => (driver ??= selectDriver(config.runner, autonomyLogger)),
        `${deps.settings.workerId}-autonomy`,
        allowedEnvironment(config.runner.envAllowList),
      );
      await Promise.all([
        runClaimLoops(deps, signal),
        runAutonomyLoop(
          {
            clients: deps.clients,
            config: config.autonomy,
            repoPath: deps.repoPath,
            baseBranch: deps.baseBranch,
            holder: deps.settings.workerId,
            integrationBranch: config.integration.branch,
            runCommand,
            logger: autonomyLogger,
          },
          signal,
        ),
      ]);
    },
  };
}

export const plannerService: ServiceDefinition = createPlannerService();

async function buildDeps(context: ServiceContext, options: PlannerServiceOptions): Promise<PlannerDeps> {
  const { config, clients } = context;
  const settings = plannerSettings(config, options.settings);
  const logger = context.logger.child({ workerId: settings.workerId });
  return {
    clients,
    model: createModelClient(config.llm, "planner", logger),
    prompts: await loadPlannerPrompts(options.promptsDir),
    settings,
    logger,
    approvals: config.approvals,
    repoPath: config.repo.path || process.cwd(),
    baseBranch: config.repo.baseBranch,
    repoLimits: settings.repoLimits,
    conversationLimits: settings.conversationLimits,
  };
}
