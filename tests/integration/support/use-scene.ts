import { afterEach, beforeEach } from "vitest";
import { openIntegrator, type Integrator, type IntegratorOptions } from "../../../services/integration/index.js";
import type { IntegrationSettings } from "../../../services/integration/settings.js";
import { createScene, type Scene } from "./scene.js";

export interface SceneHooks {
  /** Stands for the current test's scene (a fresh one per test). */
  scene: Scene;
  /** An integrator on the scene's settings with `overrides`; closed after the test. */
  open(overrides?: Partial<IntegrationSettings>, options?: Omit<IntegratorOptions, "settings">): Promise<Integrator>;
}

/** Registers the hooks that give each test of the enclosing describe its own scene, removed afterwards. */
export function useScene(): SceneHooks {
  let current: Scene | undefined;
  const opened: Integrator[] = [];

  beforeEach(async () => {
    current = await createScene();
  });
  afterEach(async () => {
    for (const integrator of opened.splice(0)) await integrator.close();
    await current?.remove();
    current = undefined;
  });

  const now = (): Scene => {
    if (!current) throw new Error("useScene: the scene exists only inside a test");
    return current;
  };
  // Forwards to the current scene, so a describe body can name it once for all its tests.
  const scene: Scene = {
    get root() {
      return now().root;
    },
    get remote() {
      return now().remote;
    },
    get repo() {
      return now().repo;
    },
    get dataDir() {
      return now().dataDir;
    },
    settings: (overrides) => now().settings(overrides),
    job: (files, options) => now().job(files, options),
    remoteRef: (ref) => now().remoteRef(ref),
    advanceRemoteMain: (files, message) => now().advanceRemoteMain(files, message),
    remove: () => now().remove(),
  };
  return {
    scene,
    async open(overrides = {}, options = {}) {
      const integrator = await openIntegrator({ ...options, settings: scene.settings(overrides) });
      opened.push(integrator);
      return integrator;
    },
  };
}
