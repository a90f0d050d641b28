/**
 * The trailer every job commit (the runner's, and integration's own merge commits) carries:
 * `PushPals-Job: <job id>`. Both sides read and write it, so it lives below both.
 */
export const JOB_TRAILER = "PushPals-Job";
