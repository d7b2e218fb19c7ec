/**
 * One ring computation for all the peers of a simulated cluster (PeerOptions.ringSource).
 * A ring is a pure function of the member table's join and leave events, and the peers of
 * a cluster go through the same tables: folding each table once instead of once per peer
 * is what lets a thousand peers start (each fold of a thousand joins costs ~0.7 s here).
 * Nothing a peer sees changes: it gets the ring `buildRing` would give it, and the same
 * object again while its table's events are unchanged, as its own RingBuilder would.
 */
import { RingBuilder } from '@ringstore/core'
import type { MemberRecord, Ring } from '@ringstore/core'
import type { RingSource } from '@ringstore/peer'
import { SHARED_RINGS_KEPT } from './constants.js'

export class SharedRings {
  readonly #builder: RingBuilder
  /** Rings by eventsKey, least recently used first. */
  readonly #rings = new Map<string, Ring>()

  constructor (q: number) {
    this.#builder = new RingBuilder(q)
  }

  /** A peer's ring source: remembers its own last table so that an unchanged one gives the same object. */
  source (): RingSource {
    let lastKey: string | undefined
    let last: Ring | undefined
    return {
      update: (records) => {
        const key = eventsKey(records)
        if (key === lastKey && last !== undefined) return last
        last = this.#ring(key, records)
        lastKey = key
        return last
      }
    }
  }

  #ring (key: string, records: readonly MemberRecord[]): Ring {
    let ring = this.#rings.get(key)
    if (ring !== undefined) {
      this.#rings.delete(key)
    } else {
      // The shared builder folds on from its last table when this one extends it (the usual
      // case: the peers learn the same joins in the same order).
      ring = this.#builder.update(records)
      if (this.#rings.size >= SHARED_RINGS_KEPT) this.#rings.delete(this.#rings.keys().next().value as string)
    }
    this.#rings.set(key, ring)
    return ring
  }
}

/**
 * The fields of a table that its ring depends on (core ring-assign.ts `ringEvents`: a join
 * per member, a leave per leaving or left one), in id order: equal keys, equal rings.
 */
function eventsKey (records: readonly MemberRecord[]): string {
  const parts: string[] = []
  for (const r of records) {
    const leaving = r.status === 'leaving' || r.status === 'left'
    const leftAt = leaving ? Math.max(r.leftAt ?? r.joinedAt, r.joinedAt) : ''
    parts.push(`${r.id}\u0001${r.joinedAt}\u0001${r.weight}\u0001${String(r.zone)}\u0001${leaving ? 'L' : ''}${leftAt}`)
  }
  return parts.sort().join('\u0000')
}
