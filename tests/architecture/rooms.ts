/**
 * The rooms of ARCHITECTURE.md: a file belongs to the room with the longest matching
 * prefix; a room imports only rooms of a lower layer. Keep this table and that page equal.
 */
export interface Room {
  /** Repo-relative folder, ending with "/". */
  path: string;
  layer: number;
  /** The fake model and fixtures: production code never imports it. */
  devOnly?: boolean;
  /** Not production code: may import any room, and is imported by none. */
  outside?: boolean;
  /** Production code that may import a dev-only room (the demo). */
  mayUseDev?: boolean;
}

export const ROOMS: readonly Room[] = [
  { path: "gen/", layer: 0 },
  { path: "shared/", layer: 1 },
  { path: "sandbox/", layer: 2 },
  { path: "supervisor/", layer: 2 },
  { path: "dev/", layer: 2, devOnly: true },
  // The browser UI: bundled by Vite into web/dist; it reaches the services over RPC only.
  { path: "web/", layer: 2 },
  { path: "services/control-plane/", layer: 3 },
  { path: "services/chat/", layer: 3 },
  { path: "services/planner/", layer: 3 },
  { path: "services/integration/", layer: 3 },
  { path: "services/runner/", layer: 3 },
  { path: "cli/", layer: 4 },
  { path: "cli/demo/", layer: 4, mayUseDev: true },
  { path: "bin/", layer: 5 },
  { path: "tests/", layer: 9, outside: true },
  { path: "bench/", layer: 9, outside: true },
  { path: "scripts/", layer: 9, outside: true },
];

/** Folders whose every source file must be in a room (a new top-level folder has to be placed). */
export const SOURCE_FOLDERS = ["gen", "shared", "sandbox", "supervisor", "dev", "services", "cli", "bin", "web"];
