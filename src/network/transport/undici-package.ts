// The installed undici package, loaded by its entry file rather than by its bare name. Bun resolves the
// bare specifier 'undici' to a built-in shim even when the package is installed, and the shim's Agent
// has no request() or close() (checked 2026-12-01 on Bun 1.4.5: oven-sh/bun#42084, #36098; the fix,
// #36102, is not released). By path, Bun loads the real package, which runs there over node:net and
// node:tls; Node resolves both spellings to the same file (undici has no "exports" map).
export { Agent, buildConnector } from 'undici/index.js';
