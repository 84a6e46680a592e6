// Every test starts the CLI as a user would from a shell, whatever started vitest: `npx vitest` and `npm test` put
// npm's variables into the environment (npm_command, npm_lifecycle_event, npm_config_user_agent…), and the CLI reads
// them to name the package runner in the commands it prints. A test that means a package manager sets them itself.
for (const key of Object.keys(process.env)) {
  if (/^npm_/i.test(key)) delete process.env[key];
}
