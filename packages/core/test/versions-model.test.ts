/**
 * The differential test of issue 13 item 2: src/versions*.ts against a reference model of
 * DVVSet (dvv-reference.ts) and plain causal histories (dvv-history.ts), over seeded
 * scripts (dvv-scripts.ts) with 3-6 replicas, fresh, stale and missing contexts, writes
 * through any coordinator, merges in random orders, below, at and past the 64-entry cap.
 *
 * Below the cap (at most 64 actors so far, so truncation cannot act): our sibling sets,
 * contexts, causal verdicts and merge results equal the reference's, which equal the
 * histories'. Past it, at every step and replica:
 * - no loss: every value the reference holds live is live in ours, under the same dot;
 * - only superseded extras: a value live in ours and not in the reference was written
 *   under that dot and is in that replica's causal past (seen and superseded): false
 *   concurrency, never an invented or reordered value;
 * - our context never claims more than the reference's (truncation only forgets).
 * And the end of every script settles: the replicas sync fully; while any replica still
 * holds a superseded value, a new actor writes with a fresh context of everything and the
 * replicas sync fully again. The superseded values must be gone after one such round
 * whenever at most 63 actors held them (what one clock can record beside its writer), and
 * their number must fall every round otherwise: a resurrection is transient, never for good.
 */
import { describe, expect, it } from 'vitest'
import type { VersionVector } from '../src/types.js'
import { LIMITS } from '../src/types.js'
import { DEFAULT_TRUNCATION, compareContexts, context, countBound, descends } from '../src/versions.js'
import type { TruncationBounds } from '../src/versions.js'
import { refJoin } from './dvv-reference.js'
import { histVerdict } from './dvv-history.js'
import type { Read, Replica, ScriptShape } from './dvv-scripts.js'
import { World, oursLive, randomStep, refLive, rng } from './dvv-scripts.js'

const MAX = LIMITS.clockEntries

const asMap = (vv: VersionVector): Map<string, number> => new Map(vv)
const asVv = (m: ReadonlyMap<string, number>): VersionVector => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))

/** The reference agrees with the histories: same live values, join = the seen dots. */
function checkReference (x: Replica): void {
  const fromHist = new Map([...x.hist.live].map(([d, id]) => [id, d]))
  expect(refLive(x.ref)).toStrictEqual(fromHist)
  const counts = new Map<string, number>()
  for (const d of x.hist.seen) {
    const actor = d.slice(0, d.lastIndexOf('#'))
    counts.set(actor, (counts.get(actor) ?? 0) + 1)
  }
  // Downward closed per actor: the seen dots of an actor are exactly 1..join[actor].
  expect(new Map([...refJoin(x.ref)].sort())).toStrictEqual(new Map([...counts].sort()))
}

function checkExact (x: Replica): void {
  expect(oursLive(x.ours)).toStrictEqual(refLive(x.ref))
  expect(asMap(context(x.ours))).toStrictEqual(new Map(asVv(refJoin(x.ref))))
}

/** Past the cap; returns how many superseded values this replica holds live. */
function checkSafe (w: World, x: Replica): number {
  const ours = oursLive(x.ours)
  for (const [id, d] of refLive(x.ref)) expect(ours.get(id)).toBe(d)
  const ref = refLive(x.ref)
  let ghosts = 0
  for (const [id, d] of ours) {
    if (ref.has(id)) continue
    expect(w.written.get(id)).toBe(d)
    expect(x.hist.seen.has(d)).toBe(true)
    ghosts++
  }
  expect(descends(asVv(refJoin(x.ref)), context(x.ours))).toBe(true)
  return ghosts
}

function checkVerdicts (latest: Read, reads: readonly Read[]): void {
  for (const r of reads) expect(compareContexts(latest.ours, r.ours)).toBe(histVerdict(latest.hist, r.hist))
}

interface Outcome { steps: number, exactSteps: number, ghostSteps: number, maxGhosts: number, rounds: number }

/**
 * How the replicas of a script truncate, and what their reads hand out. `exactUpTo`: while
 * at most this many actors exist, ours must equal the reference at every step.
 */
interface Store { readonly bounds: number | TruncationBounds, readonly cutContexts: boolean, readonly exactUpTo: number }

/** A plain 64-entry bound: what truncation does to records that are old, or past the young bound. */
const COUNTED: Store = { bounds: countBound(MAX), cutContexts: false, exactUpTo: MAX }

function runScript (seed: number, shape: ScriptShape, store: Store = COUNTED): Outcome & { actors: number, refused: number } {
  const random = rng(seed)
  const w = new World(shape.replicas, store.bounds, store.cutContexts)
  const bounds = typeof store.bounds === 'number' ? countBound(store.bounds) : store.bounds
  // What one settling write can record beside its own entry: its records are the newest.
  const recordable = Math.max(bounds.entries, bounds.youngEntries)
  const out: Outcome = { steps: 0, exactSteps: 0, ghostSteps: 0, maxGhosts: 0, rounds: 0 }
  /** Checks the replicas the last step changed (all of them when settling), counts the step. */
  const check = (all: boolean): number => {
    const exact = w.actors.size <= store.exactUpTo
    let ghosts = 0
    const dirty = w.takeDirty()
    for (const x of all ? w.replicas : dirty.map((r) => w.replicas[r] as Replica)) {
      checkReference(x)
      if (exact) checkExact(x)
      else ghosts += checkSafe(w, x)
    }
    if (all) return ghosts
    if (exact) out.exactSteps++
    if (ghosts > 0) out.ghostSteps++
    out.maxGhosts = Math.max(out.maxGhosts, ghosts)
    return ghosts
  }
  for (let s = 0; s < shape.steps; s++) {
    w.cutOff = s < (shape.lag ?? 0) ? 0 : -1
    const step = randomStep(w, shape, random)
    out.steps++
    check(false)
    if (step.kind === 'read' && w.actors.size <= store.exactUpTo && !store.cutContexts) checkVerdicts(w.reads[w.reads.length - 1] as Read, w.reads)
  }
  // Settle: full syncs, and writes of everything by new actors while superseded values live.
  w.syncAll(random)
  let ghosts = check(true)
  while (ghosts > 0) {
    const holders = new Set<string>()
    for (const x of w.replicas) {
      const ref = refLive(x.ref)
      for (const [id, d] of oursLive(x.ours)) if (!ref.has(id)) holders.add(d.slice(0, d.lastIndexOf('#')))
    }
    const at = Math.floor(random() * w.replicas.length)
    expect(w.write(at, w.read(at), false, true)).toBe(true)
    w.syncAll(random)
    out.rounds++
    const after = check(true)
    if (holders.size < recordable) expect(after, `seed ${seed}: ${holders.size} actors held superseded values`).toBe(0)
    expect(after).toBeLessThan(ghosts)
    ghosts = after
  }
  // Settled: every replica holds exactly what the reference holds.
  for (const x of w.replicas) expect(oursLive(x.ours)).toStrictEqual(refLive(x.ref))
  return { ...out, actors: w.actors.size, refused: w.refused }
}

interface Totals { scripts: number, steps: number, exactSteps: number, ghostSteps: number, maxGhosts: number, rounds: number, maxActors: number, over200: number, refused: number }

function runMany (count: number, firstSeed: number, shapeOf: (random: () => number) => ScriptShape, store: Store = COUNTED): Totals {
  const t: Totals = { scripts: 0, steps: 0, exactSteps: 0, ghostSteps: 0, maxGhosts: 0, rounds: 0, maxActors: 0, over200: 0, refused: 0 }
  for (let k = 0; k < count; k++) {
    const seed = firstSeed + k
    const o = runScript(seed, shapeOf(rng(seed ^ 0x5eed)), store)
    t.scripts++
    t.steps += o.steps
    t.exactSteps += o.exactSteps
    t.ghostSteps += o.ghostSteps
    t.maxGhosts = Math.max(t.maxGhosts, o.maxGhosts)
    t.rounds = Math.max(t.rounds, o.rounds)
    t.maxActors = Math.max(t.maxActors, o.actors)
    if (o.actors >= 200) t.over200++
    t.refused += o.refused
  }
  return t
}

const between = (random: () => number, lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1))

describe('DVVSet against a reference model (issue 13 item 2)', () => {
  it('below the cap: identical sibling sets, contexts, causal verdicts and merges', () => {
    const t = runMany(1500, 1, (random) => ({
      replicas: between(random, 3, 6), steps: between(random, 20, 70), churn: 0.05 + random() * 0.1, missing: 0.15, stale: 0.25
    }))
    console.log('below the cap', t)
    expect(t.exactSteps).toBe(t.steps)
  })

  it('at and past the cap (65-130 actors): no loss, only superseded extras, and those only transiently', () => {
    const t = runMany(60, 100_001, (random) => ({
      replicas: between(random, 3, 6), steps: between(random, 170, 230), churn: 0.7 + random() * 0.3, missing: 0.2, stale: 0.25, lag: random() < 0.5 ? 120 : 0
    }))
    console.log('past the cap', t)
    expect(t.exactSteps).toBeLessThan(t.steps)
  })

  it('200+ actors per key: the same', () => {
    const t = runMany(8, 200_001, (random) => ({
      replicas: between(random, 3, 6), steps: between(random, 400, 460), churn: 1, missing: 0.2, stale: 0.3, lag: 250
    }))
    console.log('200+ actors', t)
    expect(t.over200).toBe(t.scripts)
  })
})

describe('DVVSet against a reference model, with the replica store\'s truncation (young records)', () => {
  const young: Store = { bounds: DEFAULT_TRUNCATION, cutContexts: false, exactUpTo: LIMITS.youngClockEntries }

  it('65-256 actors within the horizon: identical to the reference at every step, a lagging replica included', () => {
    // The shapes of the two suites above (the second a little shorter, to stay within 256
    // actors): nothing superseded ever comes back.
    const past = runMany(60, 100_001, (random) => ({
      replicas: between(random, 3, 6), steps: between(random, 170, 230), churn: 0.7 + random() * 0.3, missing: 0.2, stale: 0.25, lag: random() < 0.5 ? 120 : 0
    }), young)
    const many = runMany(8, 200_001, (random) => ({
      replicas: between(random, 3, 6), steps: between(random, 380, 430), churn: 1, missing: 0.2, stale: 0.3, lag: 250
    }), young)
    console.log('young records', past, many)
    expect(past.maxActors).toBeGreaterThan(MAX)
    expect(many.over200).toBe(many.scripts)
    expect(many.maxActors).toBeLessThanOrEqual(LIMITS.youngClockEntries)
    for (const t of [past, many]) {
      expect(t.exactSteps).toBe(t.steps)
      expect(t.ghostSteps).toBe(0)
    }
  })

  it('reads cut to 64 entries (clientContext): no loss, superseded extras only transiently', () => {
    const t = runMany(8, 200_001, (random) => ({
      replicas: between(random, 3, 6), steps: between(random, 400, 460), churn: 1, missing: 0.2, stale: 0.3, lag: 250
    }), { ...young, cutContexts: true, exactUpTo: MAX })
    console.log('cut contexts', t)
    expect(t.over200).toBe(t.scripts)
  })

  it('past the horizon and the young bound (scaled down: 16 entries, 48 young, a horizon of 40 writes)', () => {
    const t = runMany(60, 300_001, (random) => ({
      replicas: between(random, 3, 6), steps: between(random, 170, 230), churn: 0.7 + random() * 0.3, missing: 0.2, stale: 0.25, lag: random() < 0.5 ? 120 : 0
    }), { bounds: { entries: 16, youngEntries: 48, horizonMs: 40 }, cutContexts: false, exactUpTo: 16 })
    console.log('scaled bounds', t)
    expect(t.maxActors).toBeGreaterThan(48)
    expect(t.exactSteps).toBeLessThan(t.steps)
  })
})
