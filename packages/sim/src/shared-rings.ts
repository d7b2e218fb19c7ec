/**
 * One ring computation for all the peers of a simulated cluster (PeerOptions.ringSource).
 * A ring is a pure function of the member table's join and leave events, and the peers of
 * a cluster go through the same tables: folding each table once instead of once per peer
 * is what lets a thousand peers start (each fold of a thousand joins costs ~0.7 s here).
 * Nothing a peer sees changes: it gets the ring `buildRing` would give it, and the same
 * object again while its table's events are unchanged, as its own RingBuilder would.
 *
 * A peer asks on every rebuild with its whole table (S records), so finding the table must
 * cost little per record: each record's ring fields are read once (records are immutable;
 * a WeakMap keeps them per object), tables are looked up by an order-free hash of those,
 * and a hit is confirmed field by field (no hash collision can hand out a wrong ring).
 */
import { RingBuilder } from '@ringstore/core'
import type { MemberRecord, PeerId, Ring } from '@ringstore/core'
import type { RingSource } from '@ringstore/peer'
import { SHARED_RINGS_KEPT } from './constants.js'

/** A table's ring and, to confirm a lookup, each member's ring fields. */
interface Entry {
  readonly ring: Ring
  readonly fields: ReadonlyMap<PeerId, string>
}

interface RecordKey {
  readonly fields: string
  readonly h1: number
  readonly h2: number
}

export class SharedRings {
  readonly #builder: RingBuilder
  /** Tables by hash, least recently used first. */
  readonly #entries = new Map<string, Entry>()
  readonly #keys = new WeakMap<MemberRecord, RecordKey>()

  constructor (q: number) {
    this.#builder = new RingBuilder(q)
  }

  /** A peer's ring source: remembers its own last table so that an unchanged one gives the same object. */
  source (): RingSource {
    let last: Entry | undefined
    return {
      update: (records) => {
        if (last !== undefined && this.#matches(last, records)) return last.ring
        last = this.#entry(records)
        return last.ring
      }
    }
  }

  #entry (records: readonly MemberRecord[]): Entry {
    let h1 = 0
    let h2 = 0
    for (const r of records) {
      const k = this.#key(r)
      h1 = (h1 + k.h1) >>> 0
      h2 = (h2 + k.h2) >>> 0
    }
    const hash = `${records.length}:${h1}:${h2}`
    const held = this.#entries.get(hash)
    if (held !== undefined && this.#matches(held, records)) {
      this.#entries.delete(hash) // re-inserted below: most recently used
      this.#entries.set(hash, held)
      return held
    }
    // The shared builder folds on from its last table when this one extends it (the usual
    // case: the peers learn the same joins in the same order).
    const entry: Entry = { ring: this.#builder.update(records), fields: new Map(records.map((r) => [r.id, this.#key(r).fields])) }
    this.#entries.delete(hash)
    if (this.#entries.size >= SHARED_RINGS_KEPT) this.#entries.delete(this.#entries.keys().next().value as string)
    this.#entries.set(hash, entry)
    return entry
  }

  #matches (entry: Entry, records: readonly MemberRecord[]): boolean {
    if (entry.fields.size !== records.length) return false
    for (const r of records) if (entry.fields.get(r.id) !== this.#key(r).fields) return false
    return true
  }

  #key (record: MemberRecord): RecordKey {
    let key = this.#keys.get(record)
    if (key === undefined) {
      const fields = ringFields(record)
      key = { fields, h1: fnv1a(fields, 0x811c9dc5), h2: fnv1a(fields, 0x01000193) }
      this.#keys.set(record, key)
    }
    return key
  }
}

/**
 * What the ring takes from a record (core ring-assign.ts `ringEvents`: a join and a leave
 * per earlier stint, a join per member, a leave per leaving or left one): equal fields for
 * every record, equal rings.
 */
function ringFields (r: MemberRecord): string {
  const leaving = r.status === 'leaving' || r.status === 'left'
  const leftAt = leaving ? Math.max(r.leftAt ?? r.joinedAt, r.joinedAt) : ''
  // A rejoined member's earlier stints are events of the fold too.
  const stints = (r.stints ?? []).map((s) => `${s.joinedAt}\u0002${s.leftAt}\u0002${s.weight}\u0002${String(s.zone)}`).join('\u0003')
  return `${r.id}\u0001${r.joinedAt}\u0001${r.weight}\u0001${String(r.zone)}\u0001${leaving ? 'L' : ''}${leftAt}\u0001${stints}`
}

function fnv1a (text: string, seed: number): number {
  let h = seed
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  return h >>> 0
}
