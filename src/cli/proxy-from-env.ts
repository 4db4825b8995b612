// Proxies from the environment, opted into the way Node.js 24 opts its own fetch and http in:
// `NODE_USE_ENV_PROXY=1` (or `--use-env-proxy`), then HTTP_PROXY / HTTPS_PROXY / NO_PROXY as
// undici's EnvHttpProxyAgent reads them.

import { EnvHttpProxyAgent, type Dispatcher } from 'undici';

/** True when the user opted in as Node 24 expects: the variable, or the flag on the command line or in NODE_OPTIONS. */
export function envProxyWanted(env: NodeJS.ProcessEnv = process.env, execArgv: readonly string[] = process.execArgv): boolean {
  if (env.NODE_USE_ENV_PROXY === '1') return true;
  return execArgv.includes('--use-env-proxy') || /(^|\s)--use-env-proxy(\s|$)/.test(env.NODE_OPTIONS ?? '');
}

const proxyVariables = ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy'];

/** An EnvHttpProxyAgent when opted in and a proxy is set; undefined otherwise (connect directly). */
export function proxyFromEnv(env: NodeJS.ProcessEnv = process.env, execArgv: readonly string[] = process.execArgv): Dispatcher | undefined {
  if (!envProxyWanted(env, execArgv) || !proxyVariables.some((name) => env[name])) return undefined;
  return new EnvHttpProxyAgent();
}
