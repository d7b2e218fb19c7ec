/**
 * One ring computation for all the peers of a simulated cluster (PeerOptions.ringSource).
 * A ring is a pure function of the member table's join and leave events, and the peers of
 * a cluster go through the same tables: folding each table once instead of once per peer
 * is what lets a thousand peers start (each fold of a thousand joins costs ~0.7 s here).
 * Nothing a peer sees changes: it gets the ring `buildRing` would give it, and the same
 * object again while its table's events are unchanged, as its own RingBuilder would.
 *
 * A peer asks on every rebuild with its whole table (S records), and a starting cluster
 * rebuilds a few hundred times per peer: finding the table must not cost S record reads.
 * Each source keeps its last table and an order-free 128-bit hash of it (a lane-wise sum of
 * each record's SHA-256 over its ring fields), and updates the hash from the records that
 * changed since (found by object identity: the engine's table keeps its records in place,
 * and equal records are one object, core member-intern.ts). Tables are looked up by that
 * hash and the record count. Confirming a hit field by field cost S string comparisons per
 * rebuild (10% of a 1,000-peer run); two different tables summing to the same 128 bits is
 * as unlikely as a SHA-256 collision for the simulator's handful of tables per run.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { utf8ToBytes } from '@noble/hashes/utils.js'
import { RingBuilder } from '@ringstore/core'
import type { MemberRecord, Ring } from '@ringstore/core'
import type { RingSource } from '@ringstore/peer'
import { SHARED_RINGS_KEPT } from './constants.js'

/** A record's ring fields and their hash as four 32-bit lanes. */
interface RecordKey {
  readonly fields: string
  readonly lanes: Uint32Array
}

const LANES = 4

export class SharedRings {
  readonly #builder: RingBuilder
  /** Rings by table hash, least recently used first. */
  readonly #entries = new Map<string, Ring>()
  readonly #keys = new WeakMap<MemberRecord, RecordKey>()

  constructor (q: number) {
    this.#builder = new RingBuilder(q)
  }

  /** A peer's ring source: remembers its own last table, its hash and its ring. */
  source (): RingSource {
    let last: readonly MemberRecord[] = []
    const sum = new Uint32Array(LANES)
    let ring: Ring | undefined
    return {
      update: (records) => {
        let changed = false
        // Position by position: the sum is order-free, so any reordering stays correct
        // (only slower to find); an unchanged position costs one comparison.
        for (let i = 0; i < Math.max(records.length, last.length); i++) {
          const was = last[i]
          const now = records[i]
          if (was === now) continue
          const before = was === undefined ? undefined : this.#key(was)
          const after = now === undefined ? undefined : this.#key(now)
          if (before?.fields === after?.fields) continue
          if (before !== undefined) for (let l = 0; l < LANES; l++) sum[l] = (sum[l] as number) - (before.lanes[l] as number)
          if (after !== undefined) for (let l = 0; l < LANES; l++) sum[l] = (sum[l] as number) + (after.lanes[l] as number)
          changed = true
        }
        last = records.slice()
        if (ring !== undefined && !changed) return ring
        ring = this.#ring(`${records.length}:${sum.join(':')}`, records)
        return ring
      }
    }
  }

  #ring (hash: string, records: readonly MemberRecord[]): Ring {
    const held = this.#entries.get(hash)
    if (held !== undefined) {
      this.#entries.delete(hash) // re-inserted below: most recently used
      this.#entries.set(hash, held)
      return held
    }
    // The shared builder folds on from its last table when this one extends it (the usual
    // case: the peers learn the same joins in the same order).
    const ring = this.#builder.update(records)
    if (this.#entries.size >= SHARED_RINGS_KEPT) this.#entries.delete(this.#entries.keys().next().value as string)
    this.#entries.set(hash, ring)
    return ring
  }

  #key (record: MemberRecord): RecordKey {
    let key = this.#keys.get(record)
    if (key === undefined) {
      const fields = ringFields(record)
      const digest = new DataView(sha256(utf8ToBytes(fields)).buffer)
      key = { fields, lanes: Uint32Array.from({ length: LANES }, (_, l) => digest.getUint32(4 * l)) }
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
