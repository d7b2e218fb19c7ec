/**
 * The second oracle of the differential test (versions-model.test.ts): plain causal
 * histories. A replica is the set of dots it has seen and the values still live; nothing
 * is compressed, so correctness is by inspection. A write supersedes exactly the dots its
 * context names; a sync keeps a live dot unless the other side saw it and dropped it.
 */

export interface History {
  /** Every dot (`actor#counter`) in the causal past. */
  readonly seen: ReadonlySet<string>
  /** Live dots and their values. */
  readonly live: ReadonlyMap<string, string>
}

export const histEmpty = (): History => ({ seen: new Set(), live: new Map() })

export const dot = (actor: string, n: number): string => `${actor}#${n}`

/** Highest counter of `actor` among `dots`. */
export function histCounter (dots: ReadonlySet<string>, actor: string): number {
  let n = 0
  for (const d of dots) {
    const at = d.lastIndexOf('#')
    if (d.slice(0, at) === actor) n = Math.max(n, Number(d.slice(at + 1)))
  }
  return n
}

/** A write at a replica holding `h` by `actor`, having read the dots `ctx`. */
export function histWrite (h: History, ctx: ReadonlySet<string>, actor: string, value: string): History {
  const d = dot(actor, Math.max(histCounter(h.seen, actor), histCounter(ctx, actor)) + 1)
  const live = new Map([...h.live].filter(([x]) => !ctx.has(x)))
  live.set(d, value)
  return { seen: new Set([...h.seen, ...ctx, d]), live }
}

export function histSync (a: History, b: History): History {
  const live = new Map<string, string>()
  for (const [x, v] of a.live) if (b.live.has(x) || !b.seen.has(x)) live.set(x, v)
  for (const [x, v] of b.live) if (a.live.has(x) || !a.seen.has(x)) live.set(x, v)
  return { seen: new Set([...a.seen, ...b.seen]), live }
}

/** How two causal pasts relate. */
export function histVerdict (a: ReadonlySet<string>, b: ReadonlySet<string>): 'equal' | 'before' | 'after' | 'concurrent' {
  const aInB = [...a].every((x) => b.has(x))
  const bInA = [...b].every((x) => a.has(x))
  return aInB && bInA ? 'equal' : aInB ? 'before' : bInA ? 'after' : 'concurrent'
}
