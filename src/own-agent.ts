// The dispatcher a client creates when the caller gives none: undici's Agent, or — when the
// process asked for it the way Node 24 does — an agent that proxies as the environment says.

import { Agent, Client, EnvHttpProxyAgent, Pool, type Dispatcher } from 'undici';

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

/** The Agent a client owns: it sends through `dispatcher`, closes it gracefully, or destroys it. */
export interface OwnAgent {
  readonly dispatcher: Dispatcher;
  /** Closes the Agent once what it is sending or receiving has ended (bodies read to their end). */
  close(): Promise<void>;
  /** Ends everything on its connections at once, even after `close()` began. */
  destroy(): Promise<void>;
}

/**
 * A new Agent for a client to own. With the environment proxy on, undici's `EnvHttpProxyAgent`:
 * `HTTP_PROXY`/`HTTPS_PROXY` (or lower-case) for each scheme, `NO_PROXY` for hosts to reach
 * directly — read once, when the client is created, as Node reads them at startup.
 *
 * The pools it makes are kept (while alive) because undici's `Agent.close()` lets go of them:
 * an `Agent.destroy()` after `close()` then reaches none, and a response still streaming would
 * hold the close open for good. Destroying the pools themselves ends it.
 */
export function createOwnAgent(env?: NodeJS.ProcessEnv, execArgv?: readonly string[]): OwnAgent {
  const made = new Set<Dispatcher>();
  const factory = (origin: string | URL, options: Agent.Options & { connections?: number | null }): Dispatcher => {
    // Pruned here, so the set follows the origins in use, as the Agent's own map does.
    for (const dispatcher of made) if ((dispatcher as Pool).destroyed) made.delete(dispatcher);
    // undici's own default factory: one connection is a Client, more a Pool.
    const dispatcher = options?.connections === 1 ? new Client(origin, options) : new Pool(origin, options);
    made.add(dispatcher);
    return dispatcher;
  };
  const agent = usesEnvProxy(env, execArgv) ? new EnvHttpProxyAgent({ factory }) : new Agent({ factory });
  return {
    dispatcher: agent,
    close: () => agent.close(),
    destroy: async () => {
      await Promise.all([...made].map((dispatcher) => dispatcher.destroy()));
      await agent.destroy();
    },
  };
}
