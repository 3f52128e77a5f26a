/** The environment and flags of webhook commands run in this process against local forges. */

const TOKEN_VARIABLES = ['GITHUB_TOKEN', 'GH_TOKEN', 'GITLAB_TOKEN', 'GITEA_TOKEN'];

/** Exactly these tokens: any other the environment had is gone. */
export function setForgeTokens(tokens: Record<string, string | undefined>): void {
  for (const name of TOKEN_VARIABLES) delete process.env[name];
  Object.assign(process.env, tokens);
}

/** Puts the environment back as it is now (for afterEach). */
export function environmentRestorer(): () => void {
  const saved = { ...process.env };
  return () => {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  };
}

/** The flags that point a webhook command at a repository of a local forge (its URL known once it runs). */
export const forgeFlags =
  (provider: 'github' | 'gitlab', serverUrl: () => string, repo: string) =>
  (...args: string[]) => ['--provider', provider, '--repo', repo, '--api-url', serverUrl(), ...args];
