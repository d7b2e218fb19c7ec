/**
 * The one home of N, R, W validation: the cluster defaults (config.ts), a caller's
 * per-request options (peer.ts) and a forwarded put (protocol/coordinate-put.ts) are all
 * checked here, with one message per rule.
 */
import { MAX_REPLICAS } from './constants.js'
import { InvalidOptionsError } from './errors.js'

export interface Quorum {
  readonly n: number
  readonly r: number
  readonly w: number
}

/** What is wrong with `n` and the read/write quorums given, or undefined when they are fine. */
export function quorumProblem (n: unknown, quorums: { readonly r?: unknown, readonly w?: unknown }): string | undefined {
  if (!Number.isSafeInteger(n) || (n as number) < 1 || (n as number) > MAX_REPLICAS) {
    return `n must be an integer in 1..${MAX_REPLICAS}, got ${String(n)}`
  }
  for (const name of ['r', 'w'] as const) {
    if (!(name in quorums)) continue
    const value = quorums[name]
    if (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > (n as number)) {
      return `${name} must be an integer in 1..n (${String(n)}), got ${String(value)}`
    }
  }
  return undefined
}

/**
 * Per-request n/r/w over the configured defaults, checked (InvalidOptionsError). A smaller
 * n without explicit r/w caps the defaults at n instead of refusing them.
 */
export function resolveQuorum (
  defaults: Quorum,
  asked: { readonly n?: number | undefined, readonly r?: number | undefined, readonly w?: number | undefined }
): Quorum {
  const n = asked.n ?? defaults.n
  const r = asked.r ?? Math.min(defaults.r, n)
  const w = asked.w ?? Math.min(defaults.w, n)
  const problem = quorumProblem(n, { r, w })
  if (problem !== undefined) throw new InvalidOptionsError(problem)
  return { n, r, w }
}
