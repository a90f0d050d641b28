/**
 * Pods have no way to the runner's model proxy yet (a relay over the exec stream would be one),
 * and must not be given the network instead. Its own module: the runner names it at start-up
 * without loading the kubernetes client.
 */
export const NO_MODEL_SOCKET =
  'the kubernetes driver cannot give an agent CLI its model yet: pods sit behind a deny-all egress NetworkPolicy and the runner\'s model proxy is not relayed into them; use runner.driver "bwrap" or "docker" for agent.backend = "command" with a model, or agent.backend = "builtin"';
