import { IntegrationService } from "../../gen/pushpals/v1/integration_pb.js";
import type { ServiceDefinition } from "../../shared/service-definition.js";
import { integrationRpc } from "./rpc/integration-rpc.js";
import { runIntegrationWorker } from "./worker/run-worker.js";

/**
 * The integration service: IntegrationService (status and merge history) on the
 * router, and the worker loop that claims completions, merges them, runs checks in a
 * sandbox, pushes and reports each outcome to the queue.
 */
export const integrationService: ServiceDefinition = {
  name: "integration",
  routes(router, context) {
    router.service(IntegrationService, integrationRpc(context));
  },
  run: (context, signal) => runIntegrationWorker(context, signal),
};
