/**
 * Replica ranks: who holds ranks 2..BALANCED_RANKS of each partition's preference list
 * (issue 13, item 3).
 *
 * With the plain walk (the first N distinct owners clockwise) a member's replica load is
 * about N × the partitions it owns, and depends on who precedes them: with Q=1024, N=3 the
 * most loaded member carried 1.24 × its fair share at S=200, 1.41 with 3 zones × 10. No
 * spacing of the owners fixes S=200: a member owns 5 or 6 of 5.12 partitions, so N per owned
 * partition is already 6/5.12 = 1.17. So ranks 2..R are assigned like the owners are: as a
 * fold of a minimal-movement rebalance step over the ring events (ring.ts), right after
 * the owners' step. The rank layers are part of the fold state, hence a deterministic
 * function of the membership records. Each step:
 *   - sets each member's load quota (owned + rank 2..R slots): zone totals first (zoneQuotas:
 *     the first min(R, zones) ranks of a list are in distinct zones, which bounds a zone's
 *     load), then each member's share of its zone's total, water-filled so that none exceeds
 *     Q, rounded to floor or ceil with the leftover seats kept by the members already
 *     holding them (sticky, as the owners' quotas in ring-assign.ts);
 *   - frees only the slots that broke a rule (holder left; holder now owns the partition;
 *     zone clash with a new owner), offering a freed rank to the partition's previous owner;
 *   - lets each member under quota take slots of members over quota (one changed entry each),
 *     then, where zones block that, two-move chains; a free slot still left is filled by
 *     moving up the list's own member from an unconstrained rank, by a short chain, or at
 *     last by the least loaded member that fits, over its quota.
 * A join thus changes about the newcomer's R·Q·w/W list entries and few others
 * (bench/ring-load.ts, ring-load.test.ts).
 */
import { NO_OWNER, pairsInGreedyOrder } from './ring-assign.js'
import type { ActiveMember } from './ring-assign.js'

/** Ranks of each list kept balanced by the fold: the usual N. Ranks beyond it follow the walk. */
export const BALANCED_RANKS = 3

/** Longest chain of moves tried to place a freed slot with a member under quota. */
const MAX_CHAIN = 3

/** Slots a chain search may visit: keeps a hopeless search (unbalanced zones) cheap. */
const MAX_CHAIN_NODES = 2048

/** Float slack when comparing shares computed in doubles. */
const EPSILON = 1e-9

/**
 * Exact shares of `total` in proportion to `weights`, each kept within [lo[i], hi[i]]: a
 * share below its bound is fixed at it and the rest spread over the others, and so on
 * (water-filling). Weight 0 → 0. The caller keeps sum(lo) ≤ total ≤ sum(hi).
 */
export function boundedShares (weights: readonly number[], total: number, lo: readonly number[], hi: readonly number[]): Float64Array {
  const shares = new Float64Array(weights.length)
  let open = weights.map((_, i) => i).filter((i) => (weights[i] ?? 0) > 0)
  let rest = total
  while (open.length > 0) {
    const sum = open.reduce((acc, i) => acc + (weights[i] ?? 0), 0)
    const proportional = (i: number): number => rest * (weights[i] ?? 0) / sum
    let fixed = open.filter((i) => proportional(i) < (lo[i] ?? 0) - EPSILON)
    let bound = lo
    if (fixed.length === 0) {
      fixed = open.filter((i) => proportional(i) > (hi[i] ?? Infinity) + EPSILON)
      bound = hi
    }
    if (fixed.length === 0) {
      for (const i of open) shares[i] = proportional(i)
      break
    }
    for (const i of fixed) {
      shares[i] = bound[i] ?? 0
      rest -= shares[i] ?? 0
    }
    open = open.filter((i) => !fixed.includes(i))
  }
  return shares
}

/**
 * Each member's exact fair share of `total` list entries: total·w/W, but none above `cap`
 * (q: a member is in a list at most once), the excess spread over the others by weight.
 */
export function waterFilledShares (weights: readonly number[], cap: number, total: number): Float64Array {
  return boundedShares(weights, total, weights.map(() => 0), weights.map(() => cap))
}

/**
 * Integer loads: floor of each share, the leftover seats first to members already holding
 * more than their floor (a seat there saves a move), then by largest remainder, ties by
 * slot (id order). Every quota is floor or ceil of the share.
 */
export function stickyLoadQuotas (shares: Float64Array, held: Int32Array, total: number): Int32Array {
  const quotas = new Int32Array(shares.length)
  const remainders = new Float64Array(shares.length)
  let seats = total
  shares.forEach((share, s) => {
    const floor = Math.floor(share + EPSILON)
    quotas[s] = floor
    remainders[s] = Math.max(0, share - floor)
    seats -= floor
  })
  const order = [...shares.keys()].filter((s) => (remainders[s] ?? 0) > EPSILON)
  const group = (s: number): number => (held[s] ?? 0) > (quotas[s] ?? 0) ? 0 : 1
  order.sort((a, b) => group(a) - group(b) || (remainders[b] ?? 0) - (remainders[a] ?? 0) || a - b)
  for (let k = 0; k < seats && k < order.length; k++) {
    const s = order[k] ?? 0
    quotas[s] = (quotas[s] ?? 0) + 1
  }
  return quotas
}

/** Per-step view of the active members: slot s = position in the id-ordered member list. */
interface Step {
  readonly q: number
  /** Ranks in use this step: min(BALANCED_RANKS, weighted members). */
  readonly ranks: number
  /** Ranks whose members must be in distinct zones: min(ranks, zones). */
  readonly zoneRanks: number
  readonly owners: Int32Array
  /** Member index → slot, weighted members only. */
  readonly slotOf: SlotIndex
  readonly members: readonly ActiveMember[]
  readonly zone: Int32Array
  /** Entries held now (owned + ranks 2..), and the quota of entries. */
  readonly load: Int32Array
  readonly quota: Int32Array
  /** Some slot is held by a member no longer weighted and active. */
  readonly stale: boolean
}

/**
 * layers[k - 2][p] = member index at rank k of partition p (k = 2..BALANCED_RANKS), or
 * NO_OWNER. Rank 1 is the owner array of the fold (ring-assign.ts FoldState).
 */
export class RankState {
  readonly layers: Int32Array[]
  /** The ranks in use and the zone-distinct ranks at the last step (a change rechecks every slot). */
  #ranksInUse = 0
  #zoneRanks = 0

  /** Takes ownership of `layers` (BALANCED_RANKS - 1 arrays of q). */
  constructor (layers: Int32Array[], ranksInUse = 0, zoneRanks = 0) {
    this.layers = layers
    this.#ranksInUse = ranksInUse
    this.#zoneRanks = zoneRanks
  }

  static empty (q: number): RankState {
    return new RankState(Array.from({ length: BALANCED_RANKS - 1 }, () => new Int32Array(q).fill(NO_OWNER)))
  }

  /** The ranks in use and zone-distinct ranks at the last step: with the layers, all the state a later step reads (ring-checkpoint.ts). */
  get counters (): { readonly ranksInUse: number, readonly zoneRanks: number } {
    return { ranksInUse: this.#ranksInUse, zoneRanks: this.#zoneRanks }
  }

  copy (): RankState {
    return new RankState(this.layers.map((layer) => layer.slice()), this.#ranksInUse, this.#zoneRanks)
  }

  /** One minimal-movement step after the owners' step of the same event (see the file comment). */
  rebalance (previousOwners: Int32Array, owners: Int32Array, members: readonly ActiveMember[]): void {
    const step = this.#step(owners, members)
    this.#dropInvalid(step, previousOwners)
    this.#demoteOwners(step, previousOwners)
    this.#assignGreedy(step, this.#freeSlots(step))
    this.#takeFromOver(step)
    this.#chainsFromNeedy(step)
    // A promotion frees a later, unconstrained rank: one more pass fills those.
    let promoted = true
    for (let pass = 0; pass < 2 && promoted; pass++) {
      promoted = false
      for (const slot of this.#freeSlots(step)) {
        if (this.#promote(step, slot)) promoted = true
        else if (!this.#augment(step, slot)) this.#fillOverQuota(step, slot)
      }
    }
  }

  /**
   * A free zone-distinct rank that the list's own member at a later, unconstrained rank
   * fits: that member moves up (the list keeps its members, no entry changes) and its rank
   * is freed instead. Without this, a lone zone's member sitting at rank 3 would block
   * rank 2, which only it may fill.
   */
  #promote (step: Step, slot: number): boolean {
    const { q } = step
    const rank = Math.floor(slot / q) + 1
    const p = slot % q
    if (rank > step.zoneRanks) return false
    for (let later = step.zoneRanks + 1; later <= step.ranks; later++) {
      const from = (later - 1) * q + p
      const s = step.slotOf.get(this.#holder(step, from))
      if (s === undefined) continue
      this.#set(step, from, NO_OWNER)
      if (this.#fits(step, s, p, rank, true)) {
        this.#set(step, slot, s)
        return true
      }
      this.#set(step, from, s)
    }
    return false
  }

  #step (owners: Int32Array, members: readonly ActiveMember[]): Step {
    const q = owners.length
    const weighted = members.filter((m) => m.weight > 0)
    const ranks = Math.min(BALANCED_RANKS, weighted.length)
    const zoneIds = new Map<string, number>()
    const zone = Int32Array.from(weighted, (m) => {
      let z = zoneIds.get(m.zone)
      if (z === undefined) {
        z = zoneIds.size
        zoneIds.set(m.zone, z)
      }
      return z
    })
    const slotOf = new SlotIndex(weighted)
    const load = new Int32Array(weighted.length)
    const slots = slotOf.slots
    for (let p = 0; p < q; p++) {
      const owner = owners[p] ?? NO_OWNER
      const s = owner >= 0 && owner < slots.length ? slots[owner] ?? -1 : -1
      if (s >= 0) load[s] = (load[s] ?? 0) + 1
    }
    let stale = false
    for (let k = 2; k <= BALANCED_RANKS; k++) {
      const layer = this.layers[k - 2] as Int32Array
      for (let p = 0; p < q; p++) {
        const holder = layer[p] ?? NO_OWNER
        const s = holder >= 0 && holder < slots.length ? slots[holder] ?? -1 : -1
        if (s >= 0 && k <= ranks) load[s] = (load[s] ?? 0) + 1
        else if (holder !== NO_OWNER) stale = true
      }
    }
    const quota = zoneQuotas(weighted, zone, zoneIds.size, load, q, ranks)
    return { q, ranks, zoneRanks: Math.min(ranks, zoneIds.size), owners, slotOf, members: weighted, zone, load, quota, stale }
  }

  /**
   * Frees slots of ranks no longer in use, of departed or weightless holders, and slots
   * that broke a list rule. Only partitions that changed owner can break one, unless the
   * members, the ranks in use or the zone rule changed: then every slot is checked.
   */
  #dropInvalid (step: Step, previousOwners: Int32Array): void {
    const { q, ranks, zoneRanks, slotOf, owners } = step
    const all = step.stale || ranks !== this.#ranksInUse || zoneRanks !== this.#zoneRanks
    this.#ranksInUse = ranks
    this.#zoneRanks = zoneRanks
    this.layers.forEach((layer, k) => {
      for (let p = 0; p < q; p++) {
        const holder = layer[p] ?? NO_OWNER
        if (holder === NO_OWNER || (!all && previousOwners[p] === owners[p])) continue
        const s = slotOf.get(holder)
        if (k + 2 > ranks || s === undefined) {
          layer[p] = NO_OWNER
          continue
        }
        // A clash frees this rank and keeps the other, which is checked after it is gone.
        if (!this.#fits(step, s, p, k + 2, true)) {
          layer[p] = NO_OWNER
          step.load[s] = (step.load[s] ?? 0) - 1
        }
      }
    })
  }

  /** Slots free or held by a member over quota, ascending: what members under quota may take. */
  #spareSlots (step: Step): number[] {
    const { q, load, quota } = step
    const slots = step.slotOf.slots
    const spare: number[] = []
    for (let k = 2; k <= step.ranks; k++) {
      const layer = this.layers[k - 2] as Int32Array
      for (let p = 0; p < q; p++) {
        const holder = layer[p] ?? NO_OWNER
        const s = holder >= 0 && holder < slots.length ? slots[holder] ?? -1 : -1
        if (s < 0 || (load[s] ?? 0) > (quota[s] ?? 0)) spare.push((k - 1) * q + p)
      }
    }
    return spare
  }

  /**
   * Each member under quota (in id order) takes slots from members over quota, or free
   * ones, that it may hold, visiting them in its own order (a permutation seeded by its id
   * hash), so different members draw from different places. One entry changes per slot
   * taken: the least any rebalance can change.
   */
  #takeFromOver (step: Step): void {
    const { load, quota, members } = step
    if (!load.some((l, s) => l < (quota[s] ?? 0))) return
    const spare = this.#spareSlots(step)
    const total = spare.length
    if (total === 0) return
    members.forEach((member, s) => {
      let need = (quota[s] ?? 0) - (load[s] ?? 0)
      if (need <= 0) return
      const stride = coprimeStride(member.seed, total)
      let at = member.seed % total
      for (let visited = 0; visited < total && need > 0; visited++, at = (at + stride) % total) {
        const slot = spare[at] ?? 0
        if (!this.#isSpare(step, slot) || !this.#fitsSlot(step, s, slot)) continue
        this.#set(step, slot, s)
        need--
      }
    })
  }

  /**
   * What #takeFromOver left: a member under quota that fits no slot of a member over quota
   * (zones: only a member of the right zone may take a zone-distinct rank). Then a chain of
   * two moves: it takes a slot X of some member y, and y takes a slot of a member over
   * quota (or a free one) in another partition.
   */
  #chainsFromNeedy (step: Step): void {
    const { load, quota, members } = step
    if (!load.some((l, s) => l < (quota[s] ?? 0))) return
    // Slots held by members over quota, or free: no slot joins them during the chains.
    const spare = this.#spareSlots(step)
    // By member position: the spare slots it fits, found once (checked again on use).
    const fitting = new Map<number, number[]>()
    for (let s = 0; s < members.length && spare.length > 0; s++) {
      while ((load[s] ?? 0) < (quota[s] ?? 0)) {
        if (!this.#chainFrom(step, s, spare, fitting)) break
      }
    }
  }

  /** Whether `slot` is still free or held by a member over quota. */
  #isSpare (step: Step, slot: number): boolean {
    const holder = step.slotOf.get(this.#holder(step, slot))
    return holder === undefined || (step.load[holder] ?? 0) > (step.quota[holder] ?? 0)
  }

  /** One two-move chain for under-quota member `start` (see #chainsFromNeedy); false if none. */
  #chainFrom (step: Step, start: number, spare: readonly number[], fitting: Map<number, number[]>): boolean {
    const { q, slotOf, load, quota } = step
    const total = (step.ranks - 1) * q
    if (!spare.some((z) => this.#isSpare(step, z))) return false
    const stuck = new Set<number>([start])
    const member = step.members[start] as ActiveMember
    const stride = coprimeStride(member.seed, total)
    for (let visited = 0, at = member.seed % total; visited < total; visited++, at = (at + stride) % total) {
      const slot = q + at
      const holder = slotOf.get(this.#holder(step, slot))
      if (holder === undefined || stuck.has(holder) || (load[holder] ?? 0) > (quota[holder] ?? 0)) continue
      if (!this.#fitsSlot(step, start, slot)) continue
      let fits = fitting.get(holder)
      if (fits === undefined) {
        fits = spare.filter((z) => this.#isSpare(step, z) && this.#fitsSlot(step, holder, z))
        fitting.set(holder, fits)
      }
      const target = fits.find((z) => z % q !== slot % q && this.#isSpare(step, z) && this.#fitsSlot(step, holder, z))
      if (target === undefined) {
        stuck.add(holder)
        continue
      }
      this.#set(step, target, holder)
      this.#set(step, slot, start)
      return true
    }
    return false
  }

  /**
   * A partition that changed owner: its previous owner takes a free rank of it (one that a
   * zone clash with the new owner freed). It stays in the list, so no entry changes for it;
   * if that puts it over quota, #takeFromOver moves one of its slots, which costs what
   * filling the freed rank with anyone else would.
   */
  #demoteOwners (step: Step, previousOwners: Int32Array): void {
    const { q, owners, slotOf } = step
    for (let p = 0; p < q; p++) {
      const previous = previousOwners[p] ?? NO_OWNER
      if (previous === owners[p]) continue
      const s = slotOf.get(previous)
      if (s === undefined) continue
      for (let k = 2; k <= step.ranks; k++) {
        const slot = (k - 1) * q + p
        if (this.#holder(step, slot) === NO_OWNER && this.#fitsSlot(step, s, slot)) {
          this.#set(step, slot, s)
          break
        }
      }
    }
  }

  /** Free slots of the ranks in use, ascending by slot key (k - 1)·q + p. */
  #freeSlots (step: Step): Int32Array {
    const free: number[] = []
    for (let k = 2; k <= step.ranks; k++) {
      const layer = this.layers[k - 2] as Int32Array
      for (let p = 0; p < step.q; p++) if (layer[p] === NO_OWNER) free.push((k - 1) * step.q + p)
    }
    return Int32Array.from(free)
  }

  /** Hands free slots to members under quota: highest-scoring (slot, member) pairs first. */
  #assignGreedy (step: Step, pool: Int32Array): void {
    const needySlots = step.members.flatMap((_, s) => (step.load[s] ?? 0) < (step.quota[s] ?? 0) ? [s] : [])
    if (pool.length === 0 || needySlots.length === 0) return
    const needy = needySlots.map((s) => step.members[s] as ActiveMember)
    const order = pairsInGreedyOrder(pool, needy)
    for (let i = 0; i < order.length; i++) {
      const pair = order[i] ?? 0
      const s = needySlots[pair % needy.length] ?? 0
      const slot = pool[Math.floor(pair / needy.length)] ?? 0
      if ((step.load[s] ?? 0) >= (step.quota[s] ?? 0) || this.#holder(step, slot) !== NO_OWNER) continue
      if (this.#fitsSlot(step, s, slot)) this.#set(step, slot, s)
    }
  }

  /**
   * Breadth-first search for a chain: slot ← m1 (leaving s1) ← m2 (leaving s2) … ← mk, an
   * under-quota member, through distinct partitions; applies it. False when there is none
   * of at most MAX_CHAIN moves.
   */
  #augment (step: Step, root: number): boolean {
    const needy = step.members.flatMap((_, s) => (step.load[s] ?? 0) < (step.quota[s] ?? 0) ? [s] : [])
    if (needy.length === 0) return false
    const end = (node: ChainNode): number => needy.find((s) =>
      (step.load[s] ?? 0) < (step.quota[s] ?? 0) && !onPath(node, s) && this.#fitsSlot(step, s, node.slot)) ?? -1
    const { q } = step
    const holderSlots = this.#slotsByHolder(step)
    const seen = new Set<number>([root])
    let frontier: ChainNode[] = [{ slot: root, parent: undefined, taker: -1, depth: 0 }]
    for (let depth = 1; depth < MAX_CHAIN && frontier.length > 0; depth++) {
      const next: ChainNode[] = []
      for (const node of frontier) {
        // A member moves into node.slot from one of its slots, which then needs a taker.
        for (let s = 0; s < step.members.length; s++) {
          if (onPath(node, s) || !this.#fitsSlot(step, s, node.slot)) continue
          for (const from of holderSlots.get(s) ?? []) {
            if (seen.size >= MAX_CHAIN_NODES) return false
            if (seen.has(from) || partitionOnPath(node, from % q, q)) continue
            seen.add(from)
            const child = { slot: from, parent: node, taker: s, depth }
            const taker = end(child)
            if (taker >= 0) {
              this.#applyChain(step, child, taker)
              return true
            }
            next.push(child)
          }
        }
      }
      frontier = next
    }
    return false
  }

  #slotsByHolderCache: { step: Step, map: Map<number, number[]> } | undefined

  #slotsByHolder (step: Step): Map<number, number[]> {
    const cached = this.#slotsByHolderCache
    if (cached?.step === step) return cached.map
    const map = new Map<number, number[]>()
    for (let k = 2; k <= step.ranks; k++) {
      const layer = this.layers[k - 2] as Int32Array
      for (let p = 0; p < step.q; p++) {
        const s = step.slotOf.get(layer[p] ?? NO_OWNER)
        if (s === undefined) continue
        let list = map.get(s)
        if (list === undefined) map.set(s, list = [])
        list.push((k - 1) * step.q + p)
      }
    }
    this.#slotsByHolderCache = { step, map }
    return map
  }

  /** `end` takes node.slot; each node's taker moves into its parent's slot. */
  #applyChain (step: Step, node: ChainNode, end: number): void {
    let incoming = end
    for (let link: ChainNode | undefined = node; link !== undefined; link = link.parent) {
      this.#set(step, link.slot, incoming)
      incoming = link.taker
    }
  }

  /** No chain: the eligible member with the lowest load over quota takes the slot (zones first, then any distinct member). */
  #fillOverQuota (step: Step, slot: number): void {
    for (const strict of [true, false]) {
      let best = -1
      step.members.forEach((_, s) => {
        if (!this.#fits(step, s, slot % step.q, Math.floor(slot / step.q) + 1, strict)) return
        const over = (step.load[s] ?? 0) - (step.quota[s] ?? 0)
        const bestOver = best < 0 ? 0 : (step.load[best] ?? 0) - (step.quota[best] ?? 0)
        if (best < 0 || over < bestOver) best = s
      })
      if (best >= 0) {
        this.#set(step, slot, best)
        return
      }
    }
  }

  /** Slot s (member position) at rank `rank` of partition p: not already in the list; distinct zone where required. */
  #fits (step: Step, s: number, p: number, rank: number, zones: boolean): boolean {
    const member = step.members[s] as ActiveMember
    const owner = step.owners[p] ?? NO_OWNER
    if (owner === member.index) return false
    const zone = step.zone[s] ?? 0
    const checkZone = zones && rank <= step.zoneRanks
    if (checkZone) {
      const ownerSlot = step.slotOf.get(owner)
      if (ownerSlot !== undefined && step.zone[ownerSlot] === zone) return false
    }
    for (let k = 2; k <= step.ranks; k++) {
      if (k === rank) continue
      const other = (this.layers[k - 2] as Int32Array)[p] ?? NO_OWNER
      if (other === NO_OWNER) continue
      if (other === member.index) return false
      if (checkZone && k <= step.zoneRanks) {
        const otherSlot = step.slotOf.get(other)
        if (otherSlot !== undefined && step.zone[otherSlot] === zone) return false
      }
    }
    return true
  }

  #fitsSlot (step: Step, s: number, slot: number): boolean {
    return this.#fits(step, s, slot % step.q, Math.floor(slot / step.q) + 1, true)
  }

  #holder (step: Step, slot: number): number {
    return (this.layers[Math.floor(slot / step.q) - 1] as Int32Array)[slot % step.q] ?? NO_OWNER
  }

  /** Sets a slot's holder (member position s, or NO_OWNER), keeping the loads. */
  #set (step: Step, slot: number, s: number): void {
    this.#slotsByHolderCache = undefined
    const layer = this.layers[Math.floor(slot / step.q) - 1] as Int32Array
    const p = slot % step.q
    const before = step.slotOf.get(layer[p] ?? NO_OWNER)
    if (before !== undefined) step.load[before] = (step.load[before] ?? 0) - 1
    if (s === NO_OWNER) {
      layer[p] = NO_OWNER
      return
    }
    layer[p] = (step.members[s] as ActiveMember).index
    step.load[s] = (step.load[s] ?? 0) + 1
  }
}

/**
 * Load quotas, zone by zone. A list's first min(ranks, zones) entries are in distinct
 * zones, so a zone is in at most q lists when there are at least `ranks` zones, and in
 * every list otherwise (then at most ranks - zones + 1 times). Each zone's total is its
 * weight's share of ranks·q within those bounds; its members share the total by weight
 * (none above q). With zones of equal weight this is each member's plain share ranks·q·w/W;
 * with unequal zones it is the fairest load the zone rule allows.
 */
function zoneQuotas (members: readonly ActiveMember[], zone: Int32Array, zones: number, load: Int32Array, q: number, ranks: number): Int32Array {
  const quota = new Int32Array(members.length)
  if (ranks === 0) return quota
  const zoneWeight = new Array<number>(zones).fill(0)
  const zoneSize = new Array<number>(zones).fill(0)
  const zoneLoad = new Int32Array(zones)
  members.forEach((m, s) => {
    const z = zone[s] ?? 0
    zoneWeight[z] = (zoneWeight[z] ?? 0) + m.weight
    zoneSize[z] = (zoneSize[z] ?? 0) + 1
    zoneLoad[z] = (zoneLoad[z] ?? 0) + (load[s] ?? 0)
  })
  const everyList = zones < ranks
  const lo = zoneSize.map(() => everyList ? q : 0)
  const hi = zoneSize.map((size) => Math.min(size * q, everyList ? (ranks - zones + 1) * q : q))
  const zoneTotals = stickyLoadQuotas(boundedShares(zoneWeight, ranks * q, lo, hi), zoneLoad, ranks * q)
  const byZone: number[][] = Array.from({ length: zones }, () => [])
  members.forEach((_, s) => { byZone[zone[s] ?? 0]?.push(s) })
  for (let z = 0; z < zones; z++) {
    const inZone = byZone[z] ?? []
    const total = zoneTotals[z] ?? 0
    const shares = waterFilledShares(inZone.map((s) => members[s]?.weight ?? 0), q, total)
    const quotas = stickyLoadQuotas(shares, Int32Array.from(inZone, (s) => load[s] ?? 0), total)
    inZone.forEach((s, i) => { quota[s] = quotas[i] ?? 0 })
  }
  return quota
}

/** Member index → position among the step's weighted members (an array: this is the hot path). */
class SlotIndex {
  /** By member index: the position, or -1. */
  readonly slots: Int32Array

  constructor (members: readonly ActiveMember[]) {
    const size = members.reduce((max, m) => Math.max(max, m.index + 1), 0)
    this.slots = new Int32Array(size).fill(-1)
    members.forEach((m, s) => { this.slots[m.index] = s })
  }

  get (index: number): number | undefined {
    const s = index >= 0 ? this.slots[index] ?? -1 : -1
    return s < 0 ? undefined : s
  }
}

/** A chain link: `taker` moves into the parent's slot, leaving `slot`. The root is a free slot (taker -1). */
interface ChainNode { readonly slot: number, readonly parent: ChainNode | undefined, readonly taker: number, readonly depth: number }

function onPath (node: ChainNode | undefined, s: number): boolean {
  for (let link = node; link !== undefined; link = link.parent) if (link.taker === s) return true
  return false
}

function partitionOnPath (node: ChainNode | undefined, p: number, q: number): boolean {
  for (let link = node; link !== undefined; link = link.parent) if (link.slot % q === p) return true
  return false
}

/** An odd step through `total` slots (a power of two here) that visits each once: a permutation per seed. */
function coprimeStride (seed: number, total: number): number {
  let stride = (Math.floor(seed / total) % total) | 1
  while (gcd(stride, total) !== 1) stride += 2
  return stride
}

function gcd (a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b]
  return a
}
