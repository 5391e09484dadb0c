/** The runtime this process runs on, from its globals (no runtime module imported). */
export function runtimeInfo(): { readonly runtime: 'node' | 'deno'; readonly version: string } {
  const globals = globalThis as { Deno?: { version?: { deno?: string } }; process?: { versions?: { node?: string } } };
  if (globals.Deno !== undefined) return { runtime: 'deno', version: globals.Deno.version?.deno ?? 'unknown' };
  return { runtime: 'node', version: globals.process?.versions?.node ?? 'unknown' };
}
