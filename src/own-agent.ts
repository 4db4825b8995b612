// The dispatcher a client creates when the caller gives none: undici's Agent, or — when the
// process asked for it the way Node 24 does — an agent that proxies as the environment says.

import { Agent, EnvHttpProxyAgent, type Dispatcher } from 'undici';

/**
 * Whether Node's own fetch would proxy from the environment: `--use-env-proxy` (in the command
 * line or `NODE_OPTIONS`; `--no-use-env-proxy` turns it off) wins over `NODE_USE_ENV_PROXY=1`.
 */
export function usesEnvProxy(env: NodeJS.ProcessEnv = process.env, execArgv: readonly string[] = process.execArgv): boolean {
  // The command line overrides NODE_OPTIONS, as Node reads them: so it comes last, and the last flag wins.
  const flags = [...(env.NODE_OPTIONS?.split(/\s+/) ?? []), ...execArgv];
  const last = flags.findLast((flag) => flag === '--use-env-proxy' || flag === '--no-use-env-proxy');
  if (last !== undefined) return last === '--use-env-proxy';
  return env.NODE_USE_ENV_PROXY === '1';
}

/**
 * A new Agent for a client to own (and close). With the environment proxy on, undici's
 * `EnvHttpProxyAgent`: `HTTP_PROXY`/`HTTPS_PROXY` (or lower-case) for each scheme, `NO_PROXY`
 * for hosts to reach directly — read once, when the client is created, as Node reads them at startup.
 */
export function createOwnAgent(env?: NodeJS.ProcessEnv, execArgv?: readonly string[]): Dispatcher & { close(): Promise<void> } {
  return usesEnvProxy(env, execArgv) ? new EnvHttpProxyAgent() : new Agent();
}
