/**
 * The decisions of a get, without I/O (riak_kv_get_core style): whose replies count, when
 * R replicas have answered, when R can no longer be reached, what the reconciled answer
 * is, when read repair runs and which replicas it must update. get.ts only sends messages
 * and asks.
 */
import { clientContext, clockEqual, liveSiblings, siblings, syncAll } from '@ringstore/core'
import type { DvvSet, PeerId, Placement, Sibling, VersionVector } from '@ringstore/core'

export interface ReadPlan {
  /** Every placement but this peer: asked over the network. */
  readonly remote: readonly Placement[]
  /** This peer's own replica is one of the R replies (its version read locally). */
  readonly selfCounts: boolean
  /**
   * This peer's own version (or its absence) is merged into the answer and read repair
   * without being one of the R replies (`withOwn`): a light peer's local replica, a former
   * owner's copy.
   */
  readonly mergesOwn: boolean
  /**
   * Ask the remote replicas for the digest of their version first (get.ts "Digest reads"):
   * only when this peer's version is used and exists. Holding none, every replica that has
   * one would be asked twice (a tab reading a cart it never wrote).
   */
  readonly digests: boolean
}

/** What this peer is, for a read: where its own replica fits in. */
export interface ReadingPeer {
  readonly id: PeerId
  /** A light peer keeps a local replica of every key it reads and writes. */
  readonly light: boolean
  /** No member owns anything (alone, or offline before it learnt the ring). */
  readonly noOwners: boolean
  /** It holds a version of the key. */
  readonly holdsVersion: boolean
}

/**
 * Who is asked, and what counts toward R. This peer's replica counts when it is a
 * placement, or when it is the only place anything can be (no owners at all). Anywhere
 * else it is no replica of the key: a light peer's local copy, or a former owner's. Counting
 * it would let R replies come from fewer than R of the N replicas, and a read miss a write
 * acknowledged by W of them although R + W > N (a tab counting its own stale copy). Such a
 * copy is still merged into the answer (a tab reads its own writes, offline ones included)
 * and read repair updates it (a light peer keeps what it reads).
 */
export function planRead (self: ReadingPeer, placements: readonly Placement[]): ReadPlan {
  const remote = placements.filter((p) => p.peer !== self.id)
  const selfCounts = remote.length < placements.length || self.noOwners
  const mergesOwn = !selfCounts && (self.light || self.holdsVersion)
  return { remote, selfCounts, mergesOwn, digests: (selfCounts || mergesOwn) && self.holdsVersion }
}

/**
 * 'collecting' until the verdict is decisive (the caller is answered), 'answered' while
 * replies may still come in for read repair, 'repaired' once repair was planned from the
 * replies then (all answered, or the repair window closed): later replies change nothing.
 */
export type GetPhase = 'collecting' | 'answered' | 'repaired'

export interface GetState {
  readonly r: number
  /** Every peer asked (this peer included when it reads its own replica). */
  readonly asked: readonly PeerId[]
  readonly replies: ReadonlyMap<PeerId, DvvSet | null>
  readonly failed: ReadonlySet<PeerId>
  /**
   * The failed replicas whose stored copy is corrupt (addCorrupt): they hold an unknown
   * version, so they count as failed for R (never as "no version"), and read repair
   * overwrites them with the merge of the others.
   */
  readonly corrupt: ReadonlySet<PeerId>
  /** This peer's own version when it is merged but not counted (ReadPlan.mergesOwn). */
  readonly own: { readonly peer: PeerId, readonly clock: DvvSet | null } | undefined
  readonly phase: GetPhase
}

export type GetVerdict =
  | { readonly kind: 'wait' }
  | { readonly kind: 'ok', readonly replies: number }
  | { readonly kind: 'fail', readonly replies: number, readonly required: number }

export function initGet (r: number, asked: readonly PeerId[]): GetState {
  const unique = [...new Set(asked)]
  return { r, asked: unique, replies: new Map(), failed: new Set(), corrupt: new Set(), own: undefined, phase: phaseAfter('collecting', r, unique.length, 0, 0) }
}

/** This peer's own version (null: none), merged into the answer and read repair but no reply for R. */
export function withOwn (state: GetState, peer: PeerId, clock: DvvSet | null): GetState {
  return { ...state, own: { peer, clock } }
}

/** This peer's own copy, not counted, is corrupt: read repair overwrites it, R is unaffected. */
export function withOwnCorrupt (state: GetState, peer: PeerId): GetState {
  return { ...state, corrupt: new Set(state.corrupt).add(peer) }
}

/** The failed replicas whose copy was corrupt: a get that missed R because of them is told so. */
export function corruptFailures (state: Pick<GetState, 'failed' | 'corrupt'>): number {
  let count = 0
  for (const peer of state.corrupt) if (state.failed.has(peer)) count++
  return count
}

/** A reply (null = the replica has no version). Late, duplicate and strangers' answers are ignored. */
export function addReply (state: GetState, peer: PeerId, clock: DvvSet | null): GetState {
  if (!awaits(state, peer)) return state
  const replies = new Map(state.replies).set(peer, clock)
  return { ...state, replies, phase: phaseAfter(state.phase, state.r, state.asked.length, replies.size, state.failed.size) }
}

export function addFailure (state: GetState, peer: PeerId): GetState {
  if (!awaits(state, peer)) return state
  const failed = new Set(state.failed).add(peer)
  return { ...state, failed, phase: phaseAfter(state.phase, state.r, state.asked.length, state.replies.size, failed.size) }
}

/** A replica whose copy of the key is corrupt: a failure for R, and a read-repair target. */
export function addCorrupt (state: GetState, peer: PeerId): GetState {
  if (!awaits(state, peer)) return state
  return { ...addFailure(state, peer), corrupt: new Set(state.corrupt).add(peer) }
}

/** The read-repair window closed: repair with the replies so far. */
export function closeRepairWindow (state: GetState): GetState {
  return state.phase === 'answered' ? { ...state, phase: 'repaired' } : state
}

export function outstanding (state: GetState): number {
  return state.asked.length - state.replies.size - state.failed.size
}

/** A wait carries nothing: one object for all of them. */
const WAIT: GetVerdict = Object.freeze({ kind: 'wait' })

export function getVerdict (state: GetState): GetVerdict {
  const replies = state.replies.size
  if (replies >= state.r) return { kind: 'ok', replies }
  if (replies + outstanding(state) < state.r) return { kind: 'fail', replies, required: state.r }
  return WAIT
}

function awaits (state: GetState, peer: PeerId): boolean {
  return state.phase !== 'repaired' && state.asked.includes(peer) && !state.replies.has(peer) && !state.failed.has(peer)
}

/**
 * Answered once the verdict (getVerdict) is decisive, repaired once answered and nobody is
 * outstanding. A decisive verdict stays so: replies only grow and replies + outstanding
 * never does.
 */
function phaseAfter (phase: GetPhase, r: number, asked: number, replies: number, failed: number): GetPhase {
  const waiting = asked - replies - failed
  if (phase === 'collecting' && (replies >= r || replies + waiting < r)) phase = 'answered'
  return phase === 'answered' && waiting === 0 ? 'repaired' : phase
}

/** The reconciled version of every reply so far and of this peer's own (DVV sync), null when none has one. */
export function mergeReplies (state: Pick<GetState, 'replies' | 'own'>): DvvSet | null {
  const clocks = [...withOwnReply(state).values()].filter((c): c is DvvSet => c !== null)
  return clocks.length === 0 ? null : syncAll(clocks)
}

/** The replies with this peer's own uncounted version among them (for merging and repair). */
function withOwnReply (state: Pick<GetState, 'replies' | 'own'>): ReadonlyMap<PeerId, DvvSet | null> {
  return state.own === undefined ? state.replies : new Map(state.replies).set(state.own.peer, state.own.clock)
}

export interface ReadAnswer {
  readonly found: boolean
  readonly values: Uint8Array[]
  readonly siblings: Sibling[]
  readonly context: VersionVector
  readonly clock: DvvSet | null
}

/** What the caller sees for a merged version (tombstones hidden from `values`). */
export function readAnswer (merged: DvvSet | null): ReadAnswer {
  if (merged === null) return { found: false, values: [], siblings: [], context: [], clock: null }
  const live = liveSiblings(merged)
  return {
    found: live.length > 0,
    values: live.map((s) => s.value as Uint8Array),
    siblings: siblings(merged),
    context: clientContext(merged),
    clock: merged
  }
}

/**
 * The read-repair decision for the replies so far: the merged version and the replicas
 * that answered something else (each gets the merge). Replicas with a corrupt copy are no
 * replies: `repairTargets` adds them. The common case (every replica
 * holds the same version) is settled by comparing the replies with the first one, without
 * the DVV merge and without comparing each reply against it again: sync is idempotent, so
 * the merge of equal clocks is that clock and nobody is stale.
 */
export function repairPlan (replies: ReadonlyMap<PeerId, DvvSet | null>): { readonly merged: DvvSet | null, readonly targets: PeerId[] } {
  let first: DvvSet | null = null
  let allEqual = true
  for (const clock of replies.values()) {
    if (clock === null) allEqual = false
    else if (first === null) first = clock
    else if (allEqual && !clockEqual(clock, first)) allEqual = false
    if (!allEqual && first !== null) break
  }
  if (first === null) return { merged: null, targets: [] }
  if (allEqual) return { merged: first, targets: [] }
  const merged = syncAll([...replies.values()].filter((c): c is DvvSet => c !== null))
  return { merged, targets: readRepairTargets(replies, merged) }
}

/**
 * `repairPlan` of a get's replies, plus the replicas that hold a corrupt copy: they get the
 * merge too (it replaces their copy), whenever some replica answered a version.
 */
export function repairTargets (state: Pick<GetState, 'replies' | 'corrupt' | 'own'>): { readonly merged: DvvSet | null, readonly targets: PeerId[] } {
  const plan = repairPlan(withOwnReply(state))
  return state.corrupt.size === 0 || plan.merged === null ? plan : { merged: plan.merged, targets: [...plan.targets, ...state.corrupt] }
}

/**
 * Replicas that answered with something other than the final merge: each gets the merged
 * version (read repair). Peers that failed are left to hints and anti-entropy.
 */
export function readRepairTargets (replies: ReadonlyMap<PeerId, DvvSet | null>, merged: DvvSet | null): PeerId[] {
  if (merged === null) return []
  const stale: PeerId[] = []
  for (const [peer, clock] of replies) if (clock === null || !clockEqual(clock, merged)) stale.push(peer)
  return stale
}
