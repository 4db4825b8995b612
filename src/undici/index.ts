// The `sluice/undici` entry point: the interceptor for `Dispatcher.compose` and the process-wide
// `install()`, listed by name like the main barrel.

// First: on a Node too old for undici this throws a clear error before undici is loaded.
import '../node-support.js';

export { sluice } from './interceptor.js';
export type { SluiceInterceptor, SluiceOptions } from './interceptor.js';
export { install, uninstall } from './install.js';
export type { CloseOptions } from '../engine/shutdown.js';
export type { BeforeRetryContext, BeforeRetryHook } from '../retry/before-retry.js';
// Also brings the `opts.sluice` augmentation of undici's DispatchOptions into the entry's types.
export type { SluiceDispatchOptions } from './dispatch-options.js';
