/**
 * Partition assignment: who owns each of the Q partitions (Dynamo §6.2, strategy 3).
 *
 * A stateless function of the member set cannot be exactly balanced and move only the fair
 * share on a join at the same time (bounded-load and greedy rendezvous schemes cascade).
 * So the ring is the fold of a minimal-movement `rebalance` step over the ring events that
 * the membership records imply (a join at `joinedAt`, a leave at `leftAt`), in one canonical
 * order. Every peer holding the same records folds the same events and gets the same ring;
 * a newcomer's join is normally the newest event, so it moves exactly its own share.
 *
 * Everything here works on an `Int32Array` of member indices (-1 = no owner) for speed: a
 * fold of 200 joins over 4096 partitions must stay far below 100 ms.
 */
import { RingInputError, hashPrefixUint32, keyHash } from './hash.js'
import type { MemberRecord, PeerId } from './types.js'

/** Largest Q the ring accepts: one Int32 owner slot per partition and the `score * 2^20 + p` sort keys below. */
export const MAX_RING_PARTITIONS = 2 ** 20

/**
 * Largest member weight. Keeps `q * weight` summed over members exact in a double:
 * 2^20 partitions * 2^20 weight * 2^12 members (LIMITS.members) = 2^52 < 2^53.
 */
export const MAX_MEMBER_WEIGHT = 2 ** 20

/** No owner in an owner array. */
export const NO_OWNER = -1

/** A ring event implied by a membership record. */
export interface RingEvent {
  readonly kind: 'join' | 'leave'
  readonly time: number
  readonly id: PeerId
  /** For a join: the member's weight and zone (a leave carries 0 and ''). */
  readonly weight: number
  readonly zone: string
}

/** Canonical order: time, then join before leave, then id (UTF-16 code unit order, platform independent). */
function compareEvents (a: RingEvent, b: RingEvent): number {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1
  if (a.kind !== b.kind) return a.kind === 'join' ? -1 : 1
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

export function sameEvent (a: RingEvent, b: RingEvent): boolean {
  return a.kind === b.kind && a.time === b.time && a.id === b.id && a.weight === b.weight && a.zone === b.zone
}

function checkRecord (record: MemberRecord): void {
  const { id, weight, joinedAt, leftAt } = record
  if (typeof id !== 'string') throw new RingInputError('member id must be a string')
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0 || weight > MAX_MEMBER_WEIGHT) {
    throw new RingInputError(`member ${id}: weight ${String(weight)} is not a number in [0, ${MAX_MEMBER_WEIGHT}]`)
  }
  if (typeof joinedAt !== 'number' || !Number.isFinite(joinedAt)) throw new RingInputError(`member ${id}: joinedAt is not a finite number`)
  if (leftAt !== undefined && (typeof leftAt !== 'number' || !Number.isFinite(leftAt))) {
    throw new RingInputError(`member ${id}: leftAt is not a finite number`)
  }
  for (const stint of record.stints ?? []) {
    if (![stint.joinedAt, stint.leftAt, stint.weight].every(Number.isFinite) || stint.weight < 0 || stint.weight > MAX_MEMBER_WEIGHT) {
      throw new RingInputError(`member ${id}: an earlier stint has a bad time or weight`)
    }
  }
}

/**
 * The ring events of a membership table in canonical order. Every record joins and leaves
 * once per earlier stint (`stints`), then joins at `joinedAt`; a 'leaving' or 'left' record
 * also leaves at `leftAt` (at `joinedAt` when missing), never before it joined. Throws RingInputError on duplicate ids or bad numbers.
 */
export function ringEvents (records: readonly MemberRecord[]): RingEvent[] {
  const seen = new Set<PeerId>()
  const events: RingEvent[] = []
  for (const record of records) {
    checkRecord(record)
    if (seen.has(record.id)) throw new RingInputError(`member ${record.id} appears twice in the membership table`)
    seen.add(record.id)
    // Earlier stints of a member that left and rejoined (validated in order: each ends
    // before the next begins), so its rejoin adds events after them and replays nothing.
    for (const stint of record.stints ?? []) {
      events.push({ kind: 'join', time: stint.joinedAt, id: record.id, weight: stint.weight, zone: String(stint.zone) })
      events.push({ kind: 'leave', time: Math.max(stint.leftAt, stint.joinedAt), id: record.id, weight: 0, zone: '' })
    }
    events.push({ kind: 'join', time: record.joinedAt, id: record.id, weight: record.weight, zone: String(record.zone) })
    if (record.status === 'leaving' || record.status === 'left') {
      const time = Math.max(record.leftAt ?? record.joinedAt, record.joinedAt)
      events.push({ kind: 'leave', time, id: record.id, weight: 0, zone: '' })
    }
  }
  return events.sort(compareEvents)
}

/** Member ids ↔ stable small indices, plus each member's score seed (hashed once). */
export class MemberTable {
  readonly #index = new Map<PeerId, number>()
  readonly #ids: PeerId[] = []
  readonly #seeds: number[] = []

  get size (): number { return this.#ids.length }

  indexOf (id: PeerId): number {
    let index = this.#index.get(id)
    if (index === undefined) {
      index = this.#ids.length
      this.#index.set(id, index)
      this.#ids.push(id)
      // seed(m) = first 4 bytes of sha256(id): spreads members' preferences independently.
      this.#seeds.push(hashPrefixUint32(keyHash(id)))
    }
    return index
  }

  id (index: number): PeerId { return this.#ids[index] ?? '' }
  seed (index: number): number { return this.#seeds[index] ?? 0 }
}

/** An active member during the fold. */
export interface ActiveMember {
  readonly index: number
  readonly id: PeerId
  readonly seed: number
  readonly weight: number
  readonly zone: string
}

/**
 * How much member `seed` wants partition `p`: murmur3's fmix32 of `seed ^ p * golden`.
 * Integer-only (Math.imul), so identical on every platform.
 */
export function score (seed: number, p: number): number {
  let h = seed ^ Math.imul(p, 0x9E3779B1)
  h ^= h >>> 16
  h = Math.imul(h, 0x85EBCA6B)
  h ^= h >>> 13
  h = Math.imul(h, 0xC2B2AE35)
  h ^= h >>> 16
  return h >>> 0
}

/** Active members sorted by id; `apply` adds/removes one event's member. */
export class ActiveSet {
  readonly #members: ActiveMember[] = []

  get list (): readonly ActiveMember[] { return this.#members }

  apply (event: RingEvent, table: MemberTable): void {
    const at = this.#position(event.id)
    const present = this.#members[at]?.id === event.id
    if (event.kind === 'join' && !present) {
      const index = table.indexOf(event.id)
      this.#members.splice(at, 0, { index, id: event.id, seed: table.seed(index), weight: event.weight, zone: event.zone })
    } else if (event.kind === 'leave' && present) {
      this.#members.splice(at, 1)
    }
  }

  /** Binary search: first position whose id is ≥ id. */
  #position (id: PeerId): number {
    let lo = 0
    let hi = this.#members.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((this.#members[mid]?.id ?? '') < id) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}

/**
 * Partition quotas by largest remainder of q·w/W, with sticky seats. Everyone gets
 * floor(share); the leftover seats go first to members already holding more than their
 * floor, since a seat there saves a move, then to the others; within each group by
 * largest remainder, ties by id. Only members with a fractional share compete, so every
 * quota is floor or ceil of the exact share, and the step moves the minimum any such
 * assignment allows. Ordering the holders by remainder (not by count) keeps the seats on
 * the members furthest from losing them: a later join then moves exactly the newcomer's
 * quota (with "largest count first", weighted clusters drifted to 1.3-2x; see ring.test.ts).
 * Weight 0 → 0 partitions; all weights 0 → all quotas 0.
 */
export function stickyQuotas (members: readonly ActiveMember[], counts: Int32Array, q: number): Int32Array {
  const quotas = new Int32Array(members.length)
  const total = members.reduce((sum, m) => sum + m.weight, 0)
  if (total === 0) return quotas
  const remainders = new Float64Array(members.length)
  let seats = q
  members.forEach((m, s) => {
    const exact = q * m.weight
    let floor = Math.floor(exact / total)
    let remainder = exact - floor * total
    // Exact for integer weights; guards the float rounding of fractional weights.
    if (remainder < 0) { floor -= 1; remainder += total } else if (remainder >= total) { floor += 1; remainder -= total }
    quotas[s] = floor
    remainders[s] = remainder
    seats -= floor
  })
  if (seats === 0) return quotas
  const order = seatOrder(members, counts, quotas, remainders)
  for (let k = 0; k < seats && order.length > 0; k++) {
    const s = order[k % order.length] ?? 0
    quotas[s] = (quotas[s] ?? 0) + 1
  }
  return quotas
}

/** Groups of the leftover-seat order (see stickyQuotas), best first. */
const HOLDS_MORE = 0
const FRACTIONAL = 1
const ROUNDING_ONLY = 2 // an integer share: reached only if float rounding left seats over
const NO_SEAT = 3 // weight 0

/** Slots that may get a leftover seat, best first. Slot order is id order, so `a - b` breaks ties by id. */
function seatOrder (members: readonly ActiveMember[], counts: Int32Array, floors: Int32Array, remainders: Float64Array): number[] {
  const groups = new Uint8Array(members.length)
  const order: number[] = []
  members.forEach((m, s) => {
    const group = m.weight === 0 ? NO_SEAT : (remainders[s] ?? 0) === 0 ? ROUNDING_ONLY : (counts[s] ?? 0) > (floors[s] ?? 0) ? HOLDS_MORE : FRACTIONAL
    groups[s] = group
    if (group !== NO_SEAT) order.push(s)
  })
  return order.sort((a, b) => (groups[a] ?? 0) - (groups[b] ?? 0) || (remainders[b] ?? 0) - (remainders[a] ?? 0) || a - b)
}

/** Keys `score * 2^20 + p` order a member's partitions by how much it wants them; exact in a double (32 + 20 bits < 53). */
const KEY_SPAN = MAX_RING_PARTITIONS

function keyOf (seed: number, p: number): number {
  return score(seed, p) * KEY_SPAN + p
}

/** Pair indices fit beside a 32-bit score in a double's 53 bits when below 2^21. */
const PAIR_KEY_SPAN = 2 ** 21
const MAX_SCORE = 0xFFFFFFFF

/**
 * The pool × needy pairs in greedy order: score descending, then partition, then member id
 * (pool is ascending, needy is in id order, so the pair index breaks ties that way).
 * Pair index = poolPosition * needy.length + needyPosition. `packedLimit` exists for tests.
 */
export function pairsInGreedyOrder (pool: Int32Array, needy: readonly ActiveMember[], packedLimit = PAIR_KEY_SPAN): ArrayLike<number> {
  const pairs = pool.length * needy.length
  const scoreOf = (pair: number): number => score(needy[pair % needy.length]?.seed ?? 0, pool[Math.floor(pair / needy.length)] ?? 0)
  if (pairs < Math.min(packedLimit, PAIR_KEY_SPAN)) {
    const keys = new Float64Array(pairs)
    for (let pair = 0; pair < pairs; pair++) keys[pair] = (MAX_SCORE - scoreOf(pair)) * PAIR_KEY_SPAN + pair
    keys.sort()
    return keys.map((key) => key % PAIR_KEY_SPAN)
  }
  // Rare (a very heavy member leaving a big ring): a comparator sort, slower, any size.
  const scores = new Uint32Array(pairs)
  for (let pair = 0; pair < pairs; pair++) scores[pair] = scoreOf(pair)
  const order = new Uint32Array(pairs)
  for (let pair = 0; pair < pairs; pair++) order[pair] = pair
  return order.sort((a, b) => (scores[b] ?? 0) - (scores[a] ?? 0) || a - b)
}

/** Merges two ascending arrays. */
function mergeSorted (a: readonly number[], b: readonly number[]): number[] {
  const out = new Array<number>(a.length + b.length)
  let i = 0
  let j = 0
  for (let k = 0; k < out.length; k++) {
    out[k] = j >= b.length || (i < a.length && (a[i] ?? 0) <= (b[j] ?? 0)) ? (a[i++] ?? 0) : (b[j++] ?? 0)
  }
  return out
}

/**
 * The owner array during the fold, plus each member's partitions sorted by its score, so a
 * rebalance costs about the partitions it moves rather than q.
 */
export class FoldState {
  /** owners[p] = member index, or NO_OWNER. */
  readonly owners: Int32Array
  /** By member index: keys of its partitions, ascending (least wanted first). */
  readonly #held: number[][] = []
  /** Member indices holding at least one partition. */
  readonly #holders = new Set<number>()
  /** Partitions without owner. */
  #unowned: number[] = []

  /** Takes ownership of `owners` (indices from `table`). */
  constructor (owners: Int32Array, table: MemberTable) {
    this.owners = owners
    owners.forEach((owner, p) => {
      if (owner === NO_OWNER) {
        this.#unowned.push(p)
        return
      }
      this.#heldBy(owner).push(keyOf(table.seed(owner), p))
      this.#holders.add(owner)
    })
    for (const holder of this.#holders) this.#heldBy(holder).sort((a, b) => a - b)
  }

  /**
   * One minimal-movement step: afterwards every active member owns exactly its quota, and
   * only partitions of departed owners and above-quota excess changed hands.
   */
  rebalance (members: readonly ActiveMember[]): void {
    const counts = new Int32Array(members.length)
    members.forEach((m, s) => { counts[s] = this.#heldBy(m.index).length })
    const quotas = stickyQuotas(members, counts, this.owners.length)
    const pool = this.#release(members, counts, quotas)
    this.#assign(members, pool, quotas)
  }

  #heldBy (index: number): number[] {
    let held = this.#held[index]
    if (held === undefined) {
      held = []
      this.#held[index] = held
    }
    return held
  }

  /** Frees departed members' partitions and each member's least wanted excess; returns the free partitions, ascending. */
  #release (members: readonly ActiveMember[], counts: Int32Array, quotas: Int32Array): Int32Array {
    const pool = this.#unowned
    const activeHolders = members.reduce((k, m) => this.#holders.has(m.index) ? k + 1 : k, 0)
    if (this.#holders.size > activeHolders) {
      // Some holder is no longer active (a leave): free all it held.
      const active = new Set(members.map((m) => m.index))
      for (const holder of this.#holders) {
        if (!active.has(holder)) this.#free(holder, this.#heldBy(holder).length, pool)
      }
    }
    members.forEach((m, s) => {
      const excess = (counts[s] ?? 0) - (quotas[s] ?? 0)
      if (excess > 0) this.#free(m.index, excess, pool)
    })
    return Int32Array.from(pool).sort()
  }

  #free (index: number, k: number, pool: number[]): void {
    const held = this.#heldBy(index)
    for (const key of held.splice(0, k)) {
      const p = key % KEY_SPAN
      this.owners[p] = NO_OWNER
      pool.push(p)
    }
    if (held.length === 0) this.#holders.delete(index)
  }

  /** Hands the pool to under-quota members: the highest-scoring (partition, member) pairs first. */
  #assign (members: readonly ActiveMember[], pool: Int32Array, quotas: Int32Array): void {
    const needySlots = members.flatMap((m, s) => this.#heldBy(m.index).length < (quotas[s] ?? 0) ? [s] : [])
    const needy = needySlots.map((s) => members[s] as ActiveMember)
    const need = Int32Array.from(needySlots, (s, j) => (quotas[s] ?? 0) - this.#heldBy(needy[j]?.index ?? 0).length)
    const gained: number[][] = needy.map(() => [])
    let left = Math.min(pool.length, need.reduce((sum, k) => sum + k, 0))
    const order = left > 0 ? pairsInGreedyOrder(pool, needy) : []
    for (let k = 0; k < order.length && left > 0; k++) {
      const pair = order[k] ?? 0
      const j = pair % needy.length
      const p = pool[Math.floor(pair / needy.length)] ?? 0
      const member = needy[j] as ActiveMember
      if (this.owners[p] !== NO_OWNER || (need[j] ?? 0) === 0) continue
      this.owners[p] = member.index
      gained[j]?.push(keyOf(member.seed, p))
      need[j] = (need[j] ?? 0) - 1
      left--
    }
    needy.forEach((m, j) => {
      const keys = gained[j] ?? []
      if (keys.length === 0) return
      this.#held[m.index] = mergeSorted(this.#heldBy(m.index), keys.sort((a, b) => a - b))
      this.#holders.add(m.index)
    })
    this.#unowned = Array.from(pool).filter((p) => this.owners[p] === NO_OWNER)
  }
}
