// Named points of a run where a test can act at exactly that moment: with CREATE_VAULT_PLUGIN_HOOK_AT=<phase> and
// CREATE_VAULT_PLUGIN_HOOK_RUN=<shell command>, the command runs (with CVP_PID set to this process) when the run
// reaches that phase, and the run goes on once it has finished. This is how the adversarial tests create a file or
// send a signal between a check and a write deterministically, instead of hoping a sleep lands there.

/** Runs the test hook for `phase`, if one is set for it; otherwise costs one environment look-up. */
export function checkpoint(phase: string): void {
  if (process.env.CREATE_VAULT_PLUGIN_HOOK_AT !== phase) return;
  const command = process.env.CREATE_VAULT_PLUGIN_HOOK_RUN;
  if (!command) return;
  const { spawnSync } = process.getBuiltinModule('node:child_process') as typeof import('node:child_process');
  spawnSync('/bin/sh', ['-c', command], { stdio: 'ignore', env: { ...process.env, CVP_PID: String(process.pid) } });
}
