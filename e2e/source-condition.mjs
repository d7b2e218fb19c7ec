// Node module hooks (registered by playwright.config.ts, in the runner and in each worker):
// bare imports of the workspace packages (e2e/webrtc.spec.ts imports @ringstore/core)
// resolve with the "@ringstore/source" condition, i.e. to their TypeScript sources, as in
// Vitest, Vite and tsc, and never to a dist/ that may be stale or not built. Node's own
// flag, --conditions, cannot be set on a process already running.
const CONDITION = '@ringstore/source'

export async function resolve (specifier, context, nextResolve) {
  if (context.conditions.includes(CONDITION)) return nextResolve(specifier, context)
  return nextResolve(specifier, { ...context, conditions: [CONDITION, ...context.conditions] })
}
