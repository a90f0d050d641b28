/**
 * The first line of every command's usage, in cli/command-usages.ts's order: what `pushpals help`
 * lists. Written out because reading them off the commands would load every command (the
 * supervisor, the store, the sandboxes) just to print the overview; tests/cli/startup.test.ts
 * checks this list equals the usages' first lines, so a changed usage fails until it is copied here.
 */
export const COMMAND_SYNOPSES: readonly string[] = [
  "pushpals demo [--dir DIR] [--timeout SECONDS]",
  "pushpals up [--mesh] [--repo DIR] [--port N] [--host H] [--data-dir DIR]",
  "pushpals serve <service> [--port N] [--host H] [--repo DIR] [--data-dir DIR] [--control-plane URL]",
  "pushpals chat [TEXT | -m TEXT [--wait [--timeout 30m]] [--json]] [--session ID | --new] [--repo DIR] [--server URL]",
  "pushpals status [--json] [--server URL]",
  "pushpals jobs [--status S[,S…]] [--session ID] [--limit N] [--json] [--server URL]",
  "pushpals logs <job-id> [-f] [--json] [--server URL]",
  "pushpals cancel <job-or-request-id> [--reason TEXT] [--json] [--server URL]",
  "pushpals sessions [--limit N] [--json] [--server URL]",
  "pushpals answer <job-id> <answer…> [--json] [--server URL]",
  "pushpals send <job-id> <message…> [--json] [--server URL]",
  "pushpals pause <job-id> [--reason TEXT] [--json] [--server URL]",
  "pushpals resume <job-id> [--finish] [--json] [--server URL]",
  "pushpals shell <job-id> [--timeout SECONDS] [--server URL]",
  "pushpals approvals [--all] [--session ID] [--limit N] [--json] [--server URL]",
  "pushpals approve <approval-id> [-m COMMENT] [--json] [--server URL]",
  "pushpals deny <approval-id> -m REASON [--json] [--server URL]",
  "pushpals autonomy on|off|freeze <duration>|status [--json] [--server URL]",
  "pushpals doctor [--repo DIR] [--profile NAME] [--database-url URL] [--nats-url URL]",
  "pushpals completion bash|zsh|fish",
];
