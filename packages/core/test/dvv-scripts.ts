/**
 * Seeded scripts for the differential test (versions-model.test.ts): replicas that run
 * src/versions*.ts as the replica store does (peer/src/data/replica-store.ts: the mint
 * cap of peer/src/data/mint.ts on writes, truncation keeping the coordinator's own actor
 * after every write and merge: a plain 64-entry bound, or the store's own bounds, versions-prune.ts), beside the same replicas in the
 * DVVSet reference (dvv-reference.ts) and in causal histories (dvv-history.ts).
 */
import type { DvvSet, VersionVector } from '../src/types.js'
import { LIMITS } from '../src/types.js'
import { clientContext, context, countBound, siblingCount, sync, truncate, update } from '../src/versions.js'
import type { TruncationBounds } from '../src/versions.js'
import { refEmpty, refJoin, refSync, refUpdate, refValues } from './dvv-reference.js'
import type { RefClock, RefVV } from './dvv-reference.js'
import { histEmpty, histSync, histWrite } from './dvv-history.js'
import type { History } from './dvv-history.js'

export interface Replica { ours: DvvSet, ref: RefClock, hist: History, epoch: number }
export interface Read { readonly ours: VersionVector, readonly ref: RefVV, readonly hist: ReadonlySet<string> }

/** mulberry32: a small seeded generator, so a failing script is replayed by its seed. */
export function rng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface ScriptShape {
  readonly replicas: number
  readonly steps: number
  /** Chance that a write's coordinator first takes a new actor (a restart, a new epoch). */
  readonly churn: number
  /** Chance that a write carries no context, and that it carries a stale saved one. */
  readonly missing: number
  readonly stale: number
  /** Steps during which replica 0 lags: it coordinates nothing and merges nothing (issue 13). */
  readonly lag?: number
}

export type Step =
  | { readonly kind: 'write', readonly at: number, readonly from: number, readonly ctx: 'fresh' | 'stale' | 'missing', readonly refused: boolean }
  | { readonly kind: 'read', readonly at: number }
  | { readonly kind: 'sync', readonly from: number, readonly to: number }

/** The world of one script: the three models side by side, and what was written. */
export class World {
  readonly replicas: Replica[]
  readonly reads: Read[] = []
  /** Every acknowledged write: value id → dot. */
  readonly written = new Map<string, string>()
  readonly actors = new Set<string>()
  /** Replicas changed since the last `takeDirty`: what a step's checks must look at. */
  #dirty = new Set<number>()
  refused = 0
  /** A replica cut off from every merge (a lagging replica), or -1. */
  cutOff = -1
  #time = 0

  /**
   * `bounds`: the replica store's truncation (a number: a plain count bound). `cutContexts`:
   * reads hand out what the engine's reads do (`clientContext`, at most 64 entries), not
   * the whole clock.
   */
  constructor (n: number, readonly bounds: number | TruncationBounds = countBound(LIMITS.clockEntries), readonly cutContexts = false) {
    this.replicas = Array.from({ length: n }, () => ({ ours: { entries: [], anonymous: [] }, ref: refEmpty(), hist: histEmpty(), epoch: 0 }))
  }

  get maxEntries (): number {
    return typeof this.bounds === 'number' ? this.bounds : this.bounds.entries
  }

  actor (r: number): string {
    return `r${r}:${(this.replicas[r] as Replica).epoch}`
  }

  /** What the replica store keeps: truncated to `bounds`, never its own actor's entry dropped. */
  store (r: number, clock: DvvSet): void {
    this.#dirty.add(r)
    const own = this.actor(r)
    ;(this.replicas[r] as Replica).ours = clock.entries.length > this.maxEntries ? truncate(clock, this.bounds, [own]) : clock
  }

  takeDirty (): number[] {
    const out = [...this.#dirty]
    this.#dirty.clear()
    return out
  }

  read (r: number): Read {
    const x = this.replicas[r] as Replica
    return { ours: this.cutContexts ? clientContext(x.ours) : context(x.ours), ref: refJoin(x.ref), hist: x.hist.seen }
  }

  /** A write at coordinator `r` with `ctx`, as a new actor if `restart`; false if refused. */
  write (r: number, ctx: Read, tombstone: boolean, restart: boolean): boolean {
    const x = this.replicas[r] as Replica
    if (restart) x.epoch++
    const actor = this.actor(r)
    const id = String(++this.#time)
    const sibling = { value: tombstone ? null : new TextEncoder().encode(id), ts: this.#time }
    const next = update(x.ours, ctx.ours, sibling, actor)
    // The mint cap refuses the write: nothing acknowledged, nothing to compare.
    if (siblingCount(next) > LIMITS.siblings) {
      this.refused++
      return false
    }
    this.actors.add(actor)
    this.store(r, next)
    x.ref = refUpdate(x.ref, ctx.ref, id, actor)
    x.hist = histWrite(x.hist, ctx.hist, actor, id)
    const n = x.ref.e.get(actor)?.n ?? 0
    this.written.set(id, `${actor}#${n}`)
    return true
  }

  /** Replica `to` merges `from`'s version (replica-put, read repair, anti-entropy). */
  merge (from: number, to: number): void {
    if (from === this.cutOff || to === this.cutOff) return
    const a = this.replicas[from] as Replica
    const b = this.replicas[to] as Replica
    this.store(to, sync(b.ours, a.ours))
    b.ref = refSync(b.ref, a.ref)
    b.hist = histSync(b.hist, a.hist)
  }

  /** Every replica merges every other's version, in a random order, twice: all equal after. */
  syncAll (random: () => number): void {
    const n = this.replicas.length
    for (let pass = 0; pass < 2; pass++) {
      const pairs = Array.from({ length: n * n }, (_, k) => [Math.floor(k / n), k % n] as const).filter(([i, j]) => i !== j)
      for (let k = pairs.length - 1; k > 0; k--) {
        const m = Math.floor(random() * (k + 1))
        ;[pairs[k], pairs[m]] = [pairs[m] as readonly [number, number], pairs[k] as readonly [number, number]]
      }
      for (const [i, j] of pairs) this.merge(i, j)
    }
  }
}

/** Live values of our clock as value id → dot, read from the representation. */
export function oursLive (c: DvvSet): Map<string, string> {
  const out = new Map<string, string>()
  for (const e of c.entries) e.values.forEach((s, k) => out.set(String(s.ts), `${e.actor}#${e.counter - k}`))
  return out
}

/** Reference live values as value id → dot. */
export function refLive (c: RefClock): Map<string, string> {
  return new Map([...refValues(c)].map(([d, id]) => [id, d]))
}

/**
 * One random step of a script. Writes go through any coordinator with a context read from
 * any replica (fresh), a saved older read (stale) or none (missing); a write's version
 * reaches 0-2 other replicas at once; reads are saved for later stale contexts.
 */
export function randomStep (w: World, shape: ScriptShape, random: () => number): Step {
  const n = w.replicas.length
  const pick = (): number => Math.floor(random() * n)
  const roll = random()
  if (roll < 0.55) {
    const at = w.cutOff === -1 ? pick() : 1 + Math.floor(random() * (n - 1))
    const from = random() < 0.5 ? at : pick()
    const r = random()
    const kind = r < shape.missing ? 'missing' : r < shape.missing + shape.stale && w.reads.length > 0 ? 'stale' : 'fresh'
    const ctx = kind === 'missing'
      ? { ours: [], ref: new Map(), hist: new Set<string>() }
      : kind === 'stale' ? w.reads[Math.floor(random() * w.reads.length)] as Read : w.read(from)
    const ok = w.write(at, ctx, random() < 0.08, random() < shape.churn)
    if (ok) for (let k = Math.floor(random() * 3); k > 0; k--) w.merge(at, pick())
    return { kind: 'write', at, from, ctx: kind, refused: !ok }
  }
  if (roll < 0.7) {
    const at = pick()
    w.reads.push(w.read(at))
    if (w.reads.length > 24) w.reads.shift()
    return { kind: 'read', at }
  }
  const from = pick()
  const to = pick()
  w.merge(from, to)
  return { kind: 'sync', from, to }
}
