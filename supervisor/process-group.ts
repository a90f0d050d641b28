/**
 * Signals a whole process group (the child spawned `detached`, so its pid is the
 * group id): grandchildren a service started go with it. An empty group is fine.
 */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw error;
  }
}
