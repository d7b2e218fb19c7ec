/**
 * Version vectors (causal contexts): sorted `[actor, counter]` pairs, a missing actor
 * meaning counter 0. Pure pointwise operations; inputs are assumed valid (see
 * `validateContext`).
 */
import type { VersionVector } from './types.js'
import { compareActors } from './versions-siblings.js'

type VvPair = readonly [string, number]

/** The counter of `actor` in `vv` (0 when absent). Linear scan: vectors are small (≤ 64). */
export function counterOf(vv: VersionVector, actor: string): number {
  for (const [a, n] of vv) if (a === actor) return n
  return 0
}

/** True iff `a ≥ b` pointwise: every event `b` has seen, `a` has seen too. Reflexive. */
export function descends(a: VersionVector, b: VersionVector): boolean {
  let i = 0
  for (const [actor, n] of b) {
    while (i < a.length && compareActors((a[i] as VvPair)[0], actor) < 0) i++
    const here = a[i]
    if (here === undefined || here[0] !== actor || here[1] < n) return false
  }
  return true
}

/** Pointwise maximum (the least upper bound of two contexts), sorted by actor. */
export function mergeContexts(a: VersionVector, b: VersionVector): VersionVector {
  const out: Array<readonly [string, number]> = []
  let i = 0
  let j = 0
  while (i < a.length && j < b.length) {
    const [xa, xn] = a[i] as VvPair
    const [ya, yn] = b[j] as VvPair
    const order = compareActors(xa, ya)
    if (order <= 0) i++
    if (order >= 0) j++
    out.push(order < 0 ? [xa, xn] : order > 0 ? [ya, yn] : [xa, Math.max(xn, yn)])
  }
  for (const [actor, n] of a.slice(i)) out.push([actor, n])
  for (const [actor, n] of b.slice(j)) out.push([actor, n])
  return out
}

/** How `a` relates to `b` causally: `before` means a < b (b has seen all of a and more). */
export function compareContexts(a: VersionVector, b: VersionVector): 'equal' | 'before' | 'after' | 'concurrent' {
  const aGeB = descends(a, b)
  const bGeA = descends(b, a)
  if (aGeB && bGeA) return 'equal'
  if (bGeA) return 'before'
  if (aGeB) return 'after'
  return 'concurrent'
}
