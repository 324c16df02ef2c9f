/** Builds console/ → console/dist with Vite when missing or stale; true when it built. */
export function buildConsole(options?: { force?: boolean }): Promise<boolean>;
