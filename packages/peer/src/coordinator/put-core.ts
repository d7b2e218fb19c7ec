/**
 * The decisions of a put, without I/O (riak_kv_put_core style): who mints the dot, whom
 * the new version goes to, who keeps hints, and when the write has enough acks or can no
 * longer get them. put.ts only sends messages and asks these functions what to do.
 */
import type { PeerId, Placement } from '@ringstore/core'

/**
 * Who creates the new version. Only a peer holding the key's history may mint a dot (see
 * data/actor-epoch.ts); a primary holds it, a light peer keeps a local
 * replica of every key it reads and writes, and anyone else forwards to the primaries and
 * mints itself only when none of them answers (always writeable).
 */
export type CoordinationPlan =
  | { readonly kind: 'mint', readonly reason: 'primary' | 'light' | 'no-primary' }
  | { readonly kind: 'forward', readonly to: readonly PeerId[] }

export function planCoordination (self: PeerId, light: boolean, placements: readonly Placement[]): CoordinationPlan {
  if (light) return { kind: 'mint', reason: 'light' }
  if (placements.some((p) => p.peer === self && p.role === 'primary')) return { kind: 'mint', reason: 'primary' }
  const primaries = placements.filter((p) => p.role === 'primary').map((p) => p.peer)
  return primaries.length === 0 ? { kind: 'mint', reason: 'no-primary' } : { kind: 'forward', to: primaries }
}

export interface ReplicationPlan {
  /** Remote placements that get a `replica-put` (fallbacks with their `hintFor`). */
  readonly sends: readonly Placement[]
  /**
   * Primaries nobody else will hand the version to (no reachable placement stands for them):
   * the minting peer keeps a hint for each, durably, before it answers.
   */
  readonly localHints: readonly PeerId[]
}

/**
 * Where the minted version goes. `preference` is the key's full preference list (the
 * primaries), `placements` its sloppy variant for the peers reachable now.
 */
export function planReplication (self: PeerId, preference: readonly PeerId[], placements: readonly Placement[]): ReplicationPlan {
  const sends = placements.filter((p) => p.peer !== self)
  const covered = new Set<PeerId>([self])
  for (const p of sends) covered.add(p.role === 'primary' ? p.peer : p.hintFor ?? p.peer)
  return { sends, localHints: preference.filter((peer) => !covered.has(peer)) }
}

/**
 * Whether the minting peer's own copy is one of the W acks from the start (Dynamo's sloppy
 * quorum counts the first N healthy peers of the preference list, nobody else):
 * - it is a primary of the key;
 * - it stands in for a primary that no reachable placement covers (it keeps that primary's
 *   hint, `localHints`), as a fallback would;
 * - no member owns the key at all (a light peer before it learnt the ring: its copy is the
 *   only one, handed on once it does).
 * Otherwise (a light peer, a tab, whose every primary is reachable) its copy is extra: it
 * counts only if a send goes silent and it keeps that primary's hint instead (put.ts). A
 * client counting its own copy would let W acks come from fewer than W of the N replicas,
 * and a read at R elsewhere miss the write although R + W > N.
 */
export function localCounts (self: PeerId, preference: readonly PeerId[], plan: ReplicationPlan): boolean {
  return preference.length === 0 || preference.includes(self) || plan.localHints.length > 0
}

/** The hint target for a placement that did not take the version: the primary it was for. */
export function hintTargetOf (placement: Placement): PeerId {
  return placement.role === 'fallback' && placement.hintFor !== undefined ? placement.hintFor : placement.peer
}

/** This peer's own write of the new version: one more ack once durable. */
export type LocalWrite = 'pending' | 'durable' | 'failed'

/**
 * 'collecting' until the first decisive verdict, 'decided' from then on: the caller has its
 * answer, and results still coming in only decide about stand-ins and hints.
 */
export type PutPhase = 'collecting' | 'decided'

export interface PutState {
  readonly w: number
  /** Acks so far, this peer's durable write included. */
  readonly acks: number
  readonly failures: number
  /** Remote sends not answered yet. */
  readonly pending: number
  readonly local: LocalWrite
  readonly phase: PutPhase
}

export type PutVerdict =
  | { readonly kind: 'wait' }
  | { readonly kind: 'ok', readonly acks: number }
  | { readonly kind: 'fail', readonly acks: number, readonly required: number }

/** A wait carries nothing: one object for all of them. */
const WAIT: PutVerdict = Object.freeze({ kind: 'wait' })

/** A put about to send to `sends` remote placements; `local` other than pending only in tests. */
export function initPut (w: number, sends: number, local: LocalWrite = 'pending'): PutState {
  const acks = local === 'durable' ? 1 : 0
  return { w, acks, failures: local === 'failed' ? 1 : 0, pending: sends, local, phase: phaseAfter('collecting', w, acks, sends, local) }
}

/** A remote send answered: acked, or refused/silent with no stand-in. */
export function addPutResult (state: PutState, acked: boolean): PutState {
  if (state.pending <= 0) return state
  const acks = state.acks + (acked ? 1 : 0)
  const pending = state.pending - 1
  return {
    ...state,
    acks,
    failures: state.failures + (acked ? 0 : 1),
    pending,
    phase: phaseAfter(state.phase, state.w, acks, pending, state.local)
  }
}

/**
 * This peer's own write settled: durable or failed. Only the first report counts. A durable
 * write is an ack when it `counts` (localCounts): a peer outside the preference list that
 * stands in for no primary holds an extra copy, not one of the N.
 */
export function addLocalResult (state: PutState, durable: boolean, counts = true): PutState {
  if (state.local !== 'pending') return state
  const acks = state.acks + (durable && counts ? 1 : 0)
  const local = durable ? 'durable' : 'failed'
  return {
    ...state,
    acks,
    failures: state.failures + (durable ? 0 : 1),
    local,
    phase: phaseAfter(state.phase, state.w, acks, state.pending, local)
  }
}

/**
 * ok as soon as w acked; fail as soon as the outstanding sends can no longer make w, but
 * never while the local write is pending: a failure is told only once the version stands
 * here (it spreads later, by hints and anti-entropy) and the acks told include this
 * peer's own. An ok may come first: w remote acks need no local one.
 */
export function putVerdict (state: PutState): PutVerdict {
  if (state.acks >= state.w) return { kind: 'ok', acks: state.acks }
  if (cannotReach(state.w, state.acks, state.pending, state.local)) return { kind: 'fail', acks: state.acks, required: state.w }
  return WAIT
}

function cannotReach (w: number, acks: number, pending: number, local: LocalWrite): boolean {
  return local !== 'pending' && acks + pending < w
}

/**
 * Once decided, always decided: acks never shrink and acks + pending never grow, so a
 * decisive verdict never changes afterwards.
 */
function phaseAfter (phase: PutPhase, w: number, acks: number, pending: number, local: LocalWrite): PutPhase {
  return phase === 'decided' || acks >= w || cannotReach(w, acks, pending, local) ? 'decided' : 'collecting'
}

/**
 * The peers that may still stand in for a placement that went silent during the write
 * (sloppy quorum, paper §4.6: "the next healthy peer along the ring"). The placements are
 * fixed when the write starts, from the detector's view then; a primary that stops
 * answering mid-write would otherwise cost the write its quorum.
 */
export interface FallbackPool {
  /**
   * All owners clockwise from the key's partition (core's walkOrder). A thunk, called at
   * most once per put and only when a stand-in is needed: the walk visits all q partitions
   * and most puts never need it (it was ~3% of a daemon's CPU when computed on every put).
   */
  readonly walk: () => readonly PeerId[]
  /** Never a stand-in: the minting peer, the primaries, every peer already sent to. */
  readonly used: ReadonlySet<PeerId>
}

/** `walk` is computed on the first replacement only (and then remembered). */
export function initFallbackPool (self: PeerId, walk: () => readonly PeerId[], preference: readonly PeerId[], sends: readonly Placement[]): FallbackPool {
  let memo: readonly PeerId[] | undefined
  const once = (): readonly PeerId[] => {
    memo ??= walk()
    return memo
  }
  return { walk: once, used: new Set<PeerId>([self, ...preference, ...sends.map((p) => p.peer)]) }
}

export interface Replacement {
  /** A fallback carrying the hint of the placement it replaces (the primary it was for). */
  readonly placement: Placement
  readonly pool: FallbackPool
  /** The failed send counted, its slot kept pending for the stand-in. */
  readonly state: PutState
}

/**
 * The stand-in for a send that went unanswered (timed out or unreachable; a peer that
 * answered with a refusal is not replaced), or undefined: w is already met, or no
 * reachable peer is left that is not a primary and was not sent to (so no peer is sent
 * the write twice nor counted twice). `failed` must be one of the pending sends.
 */
export function replaceFailed (state: PutState, pool: FallbackPool, failed: Placement, isReachable: (peer: PeerId) => boolean): Replacement | undefined {
  if (state.acks >= state.w || state.pending <= 0) return undefined
  const peer = pool.walk().find((candidate) => !pool.used.has(candidate) && isReachable(candidate))
  if (peer === undefined) return undefined
  return {
    placement: { peer, role: 'fallback', hintFor: hintTargetOf(failed) },
    pool: { walk: pool.walk, used: new Set([...pool.used, peer]) },
    state: { ...state, failures: state.failures + 1 }
  }
}
