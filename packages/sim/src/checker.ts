/**
 * The invariant checker (docs/design.md, "Invariants", which numbers them as below). Pure:
 * it reads the recorded history and a snapshot of the final replicas (taken after heal, hint
 * delivery and anti-entropy) and reports every violation with the key, the dots and the
 * replicas involved.
 *
 * Dots of a replica: `values[j]` of entry `e` has dot `(e.actor, e.counter - j)`.
 * A write "superseded" dot d when the context it was written with covers d.
 *
 * 1. lost-write: a write acknowledged with dot d is held as a sibling by every replica,
 *    unless some write had a context covering d (then d may be legitimately superseded —
 *    and the replica's own clock must then cover d too, or have forgotten d's actor by
 *    truncation: a clock at the entry bound drops value-less entries, core
 *    versions-prune.ts, so a superseded dot of an old actor epoch is then covered by no
 *    entry, or only by one a later write's older context re-created below d. Such writes
 *    are counted as `truncated`, not lost: truncation never drops a value, so the value is
 *    gone because a write superseded it).
 * 2. divergent: all replicas of a key hold structurally equal versions.
 * 3. resurrected: no replica holds a live value whose dot an acknowledged delete's context
 *    covers; superseded-survivor: the same for acknowledged puts.
 * 4. unavailable: every write with W=1 that completed, succeeded.
 * 5. false-sibling: no two siblings where the write that minted one had seen the other.
 * Plus sanity: phantom-value (a value no op wrote), anonymous-sibling (the engine never
 * produces them), dot-mismatch (a put's reply names a dot that holds another value).
 *
 * With a rogue peer (rogue.ts, docs/trust.md), `checkHistory` also takes the writes of its
 * own actor (legitimate client writes: known values, and superseders of what they claim to
 * have seen, forge.ts's effectiveContext), and `checkRogue` adds:
 * - rogue-answered: an honest peer answered a member-only request of the rogue with
 *   anything but `forbidden` (or `unavailable`: a peer not serving yet answers everyone so);
 * - planted-value: a value the rogue planted (under an honest actor's dot, anonymous, or in
 *   a coordinate-put) was read by a client, handed to the rogue by an honest peer, held in
 *   an honest peer's store at the end, or is anywhere on an honest peer's disk;
 * - counter-bound: an honest actor's counter in a stored or served version of a key exceeds
 *   twice the writes of that key the workload issued, so a forged counter got in. A write
 *   mints one dot per actor, or two when the network delivers its coordinate-put twice (the
 *   simulator duplicates messages; seed 18 with --rogue does it): no honest path goes further,
 *   while every forged counter is ≥ 2^40.
 */
import { DEFAULT_MAX_CLOCK_ENTRIES, clockEqual } from '@ringstore/core'
import type { DvvSet, Key, PeerId, Sibling } from '@ringstore/core'
import { ROGUE_ID, isPlanted } from './forge.js'
import type { RogueWrite } from './forge.js'
import { covers, dotKey, writerOf } from './history.js'
import type { Dot, OpRecord } from './history.js'

export type ViolationKind =
  | 'lost-write' | 'divergent' | 'resurrected' | 'superseded-survivor' | 'unavailable'
  | 'false-sibling' | 'phantom-value' | 'anonymous-sibling' | 'dot-mismatch'
  | 'engine-fault' | 'convergence-bound' | 'membership' | 'stuck' | 'gc-changed-data' | 'admission'
  | 'rogue-answered' | 'planted-value' | 'counter-bound'

export interface Violation {
  readonly kind: ViolationKind
  readonly key?: Key
  readonly dots?: readonly string[]
  readonly replicas?: readonly PeerId[]
  readonly ops?: readonly number[]
  readonly message: string
}

export interface ReplicaState {
  readonly peer: PeerId
  readonly clock: DvvSet | null
}

/** The final versions of one key on each member of its preference list. */
export interface KeySnapshot {
  readonly key: Key
  readonly replicas: readonly ReplicaState[]
}

export interface CheckResult {
  readonly violations: Violation[]
  /** Acknowledged writes whose dot some replica lost. */
  readonly lost: number
  /**
   * Acknowledged writes that a later write superseded and whose actor some replica's clock
   * no longer names because truncation dropped its value-less entry (not a violation).
   */
  readonly truncated: number
  /** Live values an acknowledged delete had covered. */
  readonly resurrected: number
  /** siblingHistogram[k] = keys whose converged version holds k siblings (tombstones included). */
  readonly siblingHistogram: Record<number, number>
  /** The most entries any final replica's clock holds (truncation's bounds: core versions-prune.ts). */
  readonly maxClockEntries: number
}

interface DottedSibling {
  readonly dot: Dot
  readonly sibling: Sibling
}

/** Every sibling of a clock with its dot. Anonymous siblings have none and are left out. */
export function dottedSiblings (clock: DvvSet | null): DottedSibling[] {
  if (clock === null) return []
  return clock.entries.flatMap((e) => e.values.map((sibling, j) => ({ dot: [e.actor, e.counter - j] as const, sibling })))
}

const heldDotsCache = new WeakMap<DvvSet, ReadonlySet<string>>()

/** The dots (dotKey) of a clock's siblings, computed once per clock: every write of a key asks each of its replicas. */
function heldDots (clock: DvvSet | null): ReadonlySet<string> {
  if (clock === null) return new Set()
  let dots = heldDotsCache.get(clock)
  if (dots === undefined) heldDotsCache.set(clock, dots = new Set(dottedSiblings(clock).map((s) => dotKey(s.dot))))
  return dots
}

function clockCovers (clock: DvvSet | null, dot: Dot): boolean {
  return clock !== null && clock.entries.some((e) => e.actor === dot[0] && e.counter >= dot[1])
}

/**
 * Maps each (key, dot) to the write that minted it: from the write's reply, or from its
 * unique value found on a replica. Dots are per key: every key has its own clock, so
 * (p1:1, 2) of one key and of another are different events.
 */
class DotIndex {
  private readonly byDot = new Map<string, OpRecord>()
  /**
   * Per key and actor, the two workload writes whose contexts name the actor at the highest
   * counters: a write supersedes (key, dot) when its context covers the dot, so the highest
   * counter decides, and the second answers when the first is the write being excused. A
   * scan of every write per checked write made the checker quadratic in the history (a third
   * of a 10,000-op run).
   */
  private readonly topCoverers = new Map<string, Array<{ counter: number, op: OpRecord }>>()

  constructor (readonly ops: readonly OpRecord[], snapshots: readonly KeySnapshot[], private readonly clientWrites: readonly RogueWrite[] = []) {
    for (const op of ops) if (op.kind !== 'get' && op.dot !== undefined) this.byDot.set(indexKey(op.key, op.dot), op)
    for (const op of ops) {
      if (op.kind === 'get' || op.context === undefined) continue
      for (const [actor, counter] of op.context) this.noteCoverer(indexKey(op.key, [actor, 0]), counter, op)
    }
    for (const snap of snapshots) {
      for (const replica of snap.replicas) {
        for (const { dot, sibling } of dottedSiblings(replica.clock)) {
          const writer = sibling.value === null ? undefined : writerOf(sibling.value)
          const op = writer === undefined ? undefined : ops[writer]
          const at = indexKey(snap.key, dot)
          if (op !== undefined && op.kind === 'put' && op.key === snap.key && !this.byDot.has(at)) this.byDot.set(at, op)
        }
      }
    }
  }

  private noteCoverer (at: string, counter: number, op: OpRecord): void {
    const top = this.topCoverers.get(at)
    if (top === undefined) {
      this.topCoverers.set(at, [{ counter, op }])
      return
    }
    // A context names each actor once, so one op appears at most once per list.
    top.push({ counter, op })
    top.sort((a, b) => b.counter - a.counter)
    if (top.length > 2) top.length = 2
  }

  /** The write that minted `dot` of `key`, when known. */
  writer (key: Key, dot: Dot): OpRecord | undefined {
    return this.byDot.get(indexKey(key, dot))
  }

  /** Some write of `key` (a workload op other than `except`, or a client's own) may have superseded `dot`. */
  superseded (key: Key, dot: Dot, except?: OpRecord): boolean {
    const top = this.topCoverers.get(indexKey(key, [dot[0], 0])) ?? []
    return top.some((c) => c.op !== except && c.counter >= dot[1]) || this.clientWrites.some((w) => w.key === key && covers(w.context, dot))
  }

  /** `value` is one a client wrote to `key` with its own actor. */
  clientValue (key: Key, value: Uint8Array): boolean {
    return this.clientWrites.some((w) => w.key === key && w.value !== null && sameBytes(w.value, value))
  }
}

function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

function indexKey (key: Key, dot: Dot): string {
  return `${key}\u0000${dotKey(dot)}`
}

/**
 * Every invariant over the history and the final replicas. `clientWrites`: writes a client
 * (the rogue) made with its own actor, outside the history: their values are known, and
 * they may have superseded what their contexts cover.
 */
/**
 * `removed`: members the operator removed while they were down (SimCluster.remove). A write
 * whose only acknowledgement was the removed minter's own may be gone with it (removal is
 * for dead members: what only they held is not taken back); every other acknowledged write
 * must survive a removal like any fault.
 */
export function checkHistory (ops: readonly OpRecord[], snapshots: readonly KeySnapshot[], clientWrites: readonly RogueWrite[] = [], removed: ReadonlySet<PeerId> = new Set()): CheckResult {
  const violations: Violation[] = []
  const index = new DotIndex(ops, snapshots, clientWrites)
  const byKey = new Map(snapshots.map((s) => [s.key, s]))
  let lost = 0
  let truncated = 0
  let resurrected = 0
  for (const snap of snapshots) {
    checkConvergence(snap, violations)
    checkSiblings(snap, ops, index, violations)
  }
  for (const op of ops) {
    if (op.kind === 'get') {
      checkRead(op, index, violations)
      continue
    }
    checkAvailability(op, violations)
    if (op.outcome !== 'ok' || op.dot === undefined) continue
    const snap = byKey.get(op.key)
    if (snap === undefined) continue
    const goneWithItsMinter = (op.acks ?? 1) <= 1 && removed.has(minterOf(op.dot))
    if (!goneWithItsMinter) {
      const durable = checkDurable(op, op.dot, snap, index, violations)
      if (durable === 'lost') lost++
      if (durable === 'truncated') truncated++
    }
    resurrected += checkSuperseded(op, snap, violations)
    checkDotMatches(op, op.dot, snap, violations)
  }
  const maxClockEntries = snapshots.reduce((max, snap) => snap.replicas.reduce((m, r) => Math.max(m, r.clock?.entries.length ?? 0), max), 0)
  return { violations, lost, truncated, resurrected, siblingHistogram: histogram(snapshots), maxClockEntries }
}

function checkConvergence (snap: KeySnapshot, out: Violation[]): void {
  const [first, ...rest] = snap.replicas
  if (first === undefined) return
  const differ = rest.filter((r) => !sameClock(first.clock, r.clock))
  if (differ.length === 0) return
  out.push({
    kind: 'divergent',
    key: snap.key,
    replicas: snap.replicas.map((r) => r.peer),
    message: `replicas of ${snap.key} differ: ${snap.replicas.map((r) => `${r.peer}=${describeClock(r.clock)}`).join(' ')}`
  })
}

function sameClock (a: DvvSet | null, b: DvvSet | null): boolean {
  if (a === null || b === null) return a === b
  return clockEqual(a, b)
}

/** The peer that minted `dot`: its actor is `<peer id>:<epoch>`. */
function minterOf (dot: Dot): PeerId {
  return dot[0].slice(0, dot[0].lastIndexOf(':'))
}

/**
 * A clock that truncation may have shortened (it holds the entry bound) and whose entry of
 * `dot`'s actor does not reach `dot`: it cannot say whether it saw `dot`, only that it holds
 * no value of it. The entry is absent (truncation dropped it), or lower than `dot`: after
 * truncation dropped it, a later write's older context (a client that read before `dot`)
 * named the actor again at the counter it had read, and the write recorded that (core
 * versions.ts `discardCovered`). A clock below the bound never truncated (entries go only
 * by truncation, which leaves exactly the bound), so there a missing `dot` is lost.
 */
function actorTruncated (clock: DvvSet | null, dot: Dot): boolean {
  return clock !== null && clock.entries.length >= DEFAULT_MAX_CLOCK_ENTRIES && !clockCovers(clock, dot)
}

/**
 * Invariant 1 for one acknowledged write: 'lost' when some replica lost it, 'truncated'
 * when it was superseded and some replica's truncated clock forgot its actor, else 'held'.
 */
function checkDurable (op: OpRecord, dot: Dot, snap: KeySnapshot, index: DotIndex, out: Violation[]): 'held' | 'lost' | 'truncated' {
  const superseded = index.superseded(op.key, dot, op)
  let forgotten = false
  const missing = snap.replicas.filter((r) => {
    const held = heldDots(r.clock).has(dotKey(dot))
    if (held || (superseded && clockCovers(r.clock, dot))) return false
    if (superseded && actorTruncated(r.clock, dot)) {
      forgotten = true
      return false
    }
    return true
  })
  if (missing.length === 0) return forgotten ? 'truncated' : 'held'
  out.push({
    kind: 'lost-write',
    key: op.key,
    dots: [dotKey(dot)],
    replicas: missing.map((r) => r.peer),
    ops: [op.id],
    message: `acknowledged ${op.kind} #${op.id} of ${op.key} (dot ${dotKey(dot)}, ${op.acks ?? '?'} acks) is missing on ${missing.map((r) => `${r.peer}=${describeClock(r.clock)}`).join(' ')}`
  })
  return 'lost'
}

/** Invariant 3 (deletes) and its twin for puts. Returns the resurrected values found. */
function checkSuperseded (op: OpRecord, snap: KeySnapshot, out: Violation[]): number {
  let count = 0
  for (const replica of snap.replicas) {
    for (const { dot, sibling } of dottedSiblings(replica.clock)) {
      if (sibling.value === null || !covers(op.context, dot)) continue
      if (op.kind === 'delete') count++
      out.push({
        kind: op.kind === 'delete' ? 'resurrected' : 'superseded-survivor',
        key: op.key,
        dots: [dotKey(dot)],
        replicas: [replica.peer],
        ops: [op.id],
        message: `${replica.peer} still holds ${snap.key} value ${describeValue(sibling.value)} (dot ${dotKey(dot)}) that acknowledged ${op.kind} #${op.id} had seen`
      })
    }
  }
  return count
}

/** A put's reply must name the dot that holds its value, wherever that value is found. */
function checkDotMatches (op: OpRecord, dot: Dot, snap: KeySnapshot, out: Violation[]): void {
  if (op.kind !== 'put') return
  for (const replica of snap.replicas) {
    for (const s of dottedSiblings(replica.clock)) {
      const same = s.dot[0] === dot[0] && s.dot[1] === dot[1]
      const writer = s.sibling.value === null ? undefined : writerOf(s.sibling.value)
      if (same && writer !== op.id) {
        out.push({ kind: 'dot-mismatch', key: op.key, dots: [dotKey(dot)], replicas: [replica.peer], ops: [op.id], message: `put #${op.id} was answered with dot ${dotKey(dot)} but ${replica.peer} holds ${describeValue(s.sibling.value)} there` })
      }
    }
  }
}

/** Invariant 5 and sanity checks on the siblings of every replica. */
function checkSiblings (snap: KeySnapshot, ops: readonly OpRecord[], index: DotIndex, out: Violation[]): void {
  for (const replica of snap.replicas) {
    if (replica.clock !== null && replica.clock.anonymous.length > 0) {
      out.push({ kind: 'anonymous-sibling', key: snap.key, replicas: [replica.peer], message: `${replica.peer} holds ${replica.clock.anonymous.length} anonymous siblings of ${snap.key}` })
      for (const s of replica.clock.anonymous) {
        if (isPlanted(s.value)) out.push({ kind: 'planted-value', key: snap.key, replicas: [replica.peer], message: `${replica.peer} holds the planted value ${describeValue(s.value)} of ${snap.key} as an anonymous sibling` })
      }
    }
    const siblings = dottedSiblings(replica.clock)
    for (const s of siblings) {
      const value = s.sibling.value
      if (value === null) continue
      const writer = writerOf(value)
      if (isPlanted(value)) {
        out.push({ kind: 'planted-value', key: snap.key, dots: [dotKey(s.dot)], replicas: [replica.peer], message: `${replica.peer} holds the planted value ${describeValue(value)} of ${snap.key} under dot ${dotKey(s.dot)}` })
      } else if ((writer === undefined || ops[writer]?.kind !== 'put' || ops[writer]?.key !== snap.key) && !index.clientValue(snap.key, value)) {
        out.push({ kind: 'phantom-value', key: snap.key, dots: [dotKey(s.dot)], replicas: [replica.peer], message: `${replica.peer} holds ${describeValue(value)} under ${snap.key}, which no put of that key wrote` })
      }
    }
    for (const a of siblings) {
      const writer = index.writer(snap.key, a.dot)
      if (writer === undefined) continue
      for (const b of siblings) {
        if (a === b || !covers(writer.context, b.dot)) continue
        out.push({
          kind: 'false-sibling',
          key: snap.key,
          dots: [dotKey(a.dot), dotKey(b.dot)],
          replicas: [replica.peer],
          ops: [writer.id],
          message: `${replica.peer} keeps ${dotKey(a.dot)} and ${dotKey(b.dot)} of ${snap.key} as siblings, but ${writer.kind} #${writer.id} (which minted ${dotKey(a.dot)}) had seen ${dotKey(b.dot)}`
        })
      }
    }
  }
}

/**
 * Invariant 4: a W=1 write that got an answer got a success (from a peer still a member).
 * A write refused at the sibling cap (TooManySiblingsError: the key already holds the limit
 * of concurrent versions, and the client is told to read, merge and write with the context)
 * is a named limit that changed nothing, not unavailability: the summary counts it apart.
 */
function checkAvailability (op: OpRecord, out: Violation[]): void {
  if (op.w !== 1 || op.outcome !== 'error' || op.coordinatorLeft === true || refusedAtSiblingCap(op)) return
  out.push({ kind: 'unavailable', key: op.key, replicas: [op.coordinator], ops: [op.id], message: `${op.kind} #${op.id} of ${op.key} with W=1 at ${op.coordinator} failed: ${op.error ?? '?'} ${op.errorMessage ?? ''}`.trim() })
}

/** A write refused because the key holds as many siblings as a write may leave (peer errors.ts). */
export function refusedAtSiblingCap (op: OpRecord): boolean {
  return op.outcome === 'error' && op.error === 'TooManySiblingsError'
}

/** A read returned only values some write of its key wrote: a workload put, or a client's own. */
function checkRead (op: OpRecord, index: DotIndex, out: Violation[]): void {
  if (op.readUnknown === undefined) {
    for (const writer of op.readValues ?? []) {
      if (writer === undefined) out.push({ kind: 'phantom-value', key: op.key, ops: [op.id], message: `get #${op.id} of ${op.key} returned a value no put wrote` })
    }
    return
  }
  for (const value of op.readUnknown) {
    if (isPlanted(value)) out.push({ kind: 'planted-value', key: op.key, ops: [op.id], message: `get #${op.id} of ${op.key} at ${op.coordinator} returned the planted value ${describeValue(value)}` })
    else if (!index.clientValue(op.key, value)) out.push({ kind: 'phantom-value', key: op.key, ops: [op.id], message: `get #${op.id} of ${op.key} returned a value no put wrote (${describeValue(value)})` })
  }
}

/** What an honest peer answered the rogue, held, or wrote to its disk (see checkRogue). */
export interface RogueEvidence {
  /** Replies to member-only requests other than a refusal. */
  readonly answered: ReadonlyArray<{ readonly peer: PeerId, readonly type: string, readonly reply: string, readonly at: number }>
  /** Versions honest peers handed the rogue during the run. */
  readonly observed: ReadonlyArray<{ readonly peer: PeerId, readonly key: Key, readonly clock: DvvSet | null, readonly at: number }>
  /** Every version each running honest peer stores at the end (owned or not). */
  readonly stored: ReadonlyArray<{ readonly peer: PeerId, readonly key: Key, readonly clock: DvvSet }>
  /** Durable records of honest peers' disks (data, hints, meta) that hold a planted value's bytes. */
  readonly plantedOnDisk: ReadonlyArray<{ readonly peer: PeerId, readonly namespace: string, readonly key: string }>
}

/** The rogue's checks (see the file comment): refusals, planted values, counter bounds. */
export function checkRogue (ops: readonly OpRecord[], snapshots: readonly KeySnapshot[], evidence: RogueEvidence): Violation[] {
  const out: Violation[] = []
  const seen = new Set<string>()
  const add = (id: string, violation: Violation): void => {
    if (seen.has(id)) return
    seen.add(id)
    out.push(violation)
  }
  for (const a of evidence.answered) {
    add(`answered|${a.peer}|${a.type}|${a.at}|${out.length}`, { kind: 'rogue-answered', replicas: [a.peer], message: `${a.peer} answered the rogue's member-only ${a.type} at t=${a.at} with ${a.reply}` })
  }
  // Each write of a key mints at most two dots per actor (one, or two for a duplicated
  // coordinate-put): no honest counter may exceed that.
  const bounds = new Map<Key, number>()
  for (const op of ops) if (op.kind !== 'get') bounds.set(op.key, (bounds.get(op.key) ?? 0) + 2)
  const versions = [
    ...snapshots.flatMap((snap) => snap.replicas.map((r) => ({ peer: r.peer, key: snap.key, clock: r.clock, where: 'holds at the end' }))),
    ...evidence.stored.map((s) => ({ ...s, where: 'stores at the end' })),
    ...evidence.observed.map((o) => ({ ...o, where: `handed the rogue at t=${o.at}` }))
  ]
  for (const { peer, key, clock, where } of versions) {
    if (clock === null) continue
    const bound = bounds.get(key) ?? 0
    for (const entry of clock.entries) {
      if (entry.actor.startsWith(`${ROGUE_ID}:`)) continue
      if (entry.counter > bound) {
        add(`counter|${peer}|${key}|${entry.actor}`, { kind: 'counter-bound', key, replicas: [peer], message: `${peer} ${where} ${key} with ${entry.actor}:${entry.counter}, beyond the ${bound / 2} writes of ${key} ever issued could mint` })
      }
      for (const s of entry.values) {
        if (isPlanted(s.value)) add(`planted|${peer}|${key}|${describeValue(s.value)}`, { kind: 'planted-value', key, replicas: [peer], message: `${peer} ${where} the planted value ${describeValue(s.value)} of ${key} under ${entry.actor}` })
      }
    }
    for (const s of clock.anonymous) {
      if (isPlanted(s.value)) add(`planted|${peer}|${key}|${describeValue(s.value)}`, { kind: 'planted-value', key, replicas: [peer], message: `${peer} ${where} the planted value ${describeValue(s.value)} of ${key} as an anonymous sibling` })
    }
  }
  for (const d of evidence.plantedOnDisk) {
    add(`disk|${d.peer}|${d.namespace}|${d.key}`, { kind: 'planted-value', replicas: [d.peer], message: `${d.peer}'s disk holds a planted value in ${d.namespace} record ${JSON.stringify(d.key)}` })
  }
  return out
}

function histogram (snapshots: readonly KeySnapshot[]): Record<number, number> {
  const out: Record<number, number> = {}
  for (const snap of snapshots) {
    const clock = snap.replicas[0]?.clock ?? null
    if (clock === null) continue
    const n = dottedSiblings(clock).length + clock.anonymous.length
    out[n] = (out[n] ?? 0) + 1
  }
  return out
}

function describeValue (value: Uint8Array | null): string {
  if (value === null) return 'tombstone'
  const writer = writerOf(value)
  if (writer !== undefined) return `w${writer}`
  if (isPlanted(value)) return `planted#${new TextDecoder().decode(value.subarray(5)).replace(/^planted:/, '')}`
  const text = new TextDecoder().decode(value)
  return /^rogue:[0-9]+$/.test(text) ? text : `<${value.length} bytes>`
}

/** Compact text of a clock for reports: {actor:counter[values]...}. */
export function describeClock (clock: DvvSet | null): string {
  if (clock === null) return '∅'
  const entries = clock.entries.map((e) => `${e.actor}:${e.counter}[${e.values.map((v) => describeValue(v.value)).join(',')}]`)
  return `{${entries.join(' ')}${clock.anonymous.length > 0 ? ` anon:${clock.anonymous.length}` : ''}}`
}
