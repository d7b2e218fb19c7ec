/**
 * Hints (paper §4.6): versions this peer keeps for another peer that could not take them
 * when written, until hinted handoff delivers them. Namespace `hints`, key `hintKey(target,
 * key)` → `encodeHintRecord(storedAt, clock)`: all hints of one target form one contiguous
 * range (storage-keys.ts), each record carrying when it was first stored (hint-record.ts).
 *
 * Two hints for the same (target, key) merge (DVV sync): the target gets one version that
 * covers both. A hint is deleted only if it is unchanged since it was sent, so a version
 * merged in while a delivery was in flight stays pending.
 *
 * Bounded (issue 11: a remote peer filled a 30 MB volume with hints and the daemon died):
 * the bytes held in all and per target stay within config.hintQuotaBytes and
 * hintQuotaPerTargetBytes. A hint that would pass either is refused with HintQuotaError,
 * and nothing stored is dropped to make room; the index (hint-index.ts) holds the figures,
 * so the check reads no storage. Hints older than hintMaxAgeMs are deleted by expire().
 */
import { clockEqual, equalBytes, sync, truncate, utf8ByteLength } from '@ringstore/core'
import type { DvvSet, Key, PeerId } from '@ringstore/core'
import type { HintStore } from '../components.js'
import { HINT_EXPIRY_BATCH } from '../constants.js'
import { HintQuotaError, InvalidHintTargetError, describeError } from '../errors.js'
import type { PeerConfig } from '../config.js'
import type { Logger, Storage, StorageOp } from '../interfaces.js'
import { KeyedLock } from './keyed-lock.js'
import type { PeerMetrics } from '../metrics.js'
import { HintIndex } from './hint-index.js'
import type { HintMeta } from './hint-index.js'
import { encodeHintRecord, readHintRecord, stampHintRecord } from './hint-record.js'
import { hintKey, hintRange, isHintTarget, keyOfHintKey, parseHintKey } from './storage-keys.js'
import { openClock } from './stored-clock.js'

export interface HintStoreDeps {
  readonly id: PeerId
  readonly storage: Storage
  readonly config: Pick<PeerConfig, 'truncation' | 'hintQuotaBytes' | 'hintQuotaPerTargetBytes' | 'hintMaxAgeMs'>
  readonly log: Logger
  readonly metrics: PeerMetrics
  /** The injected clock's now() (ms): when a hint is first stored, and its age. */
  readonly now: () => number
}

export class StorageHintStore implements HintStore {
  readonly #deps: HintStoreDeps
  readonly #lock = new KeyedLock()
  /** Pending hints per target with their sizes and times, loaded in open(). */
  readonly #index = new HintIndex()
  /**
   * The stored record each clock handed out by batch() was decoded from. remove() compares
   * the record still stored with it byte for byte: unchanged without decoding it again
   * (a decode of every delivered hint was most of a delete's CPU).
   */
  readonly #readFrom = new WeakMap<DvvSet, Uint8Array>()

  constructor (deps: HintStoreDeps) {
    this.#deps = deps
  }

  /**
   * Loads the index: every hint's target, size and time. A hint stored before records
   * carried their time (hint-record.ts v1), or with an implausible one, counts from now; v1
   * records are then rewritten with that time, so that their age survives the next restart.
   */
  async open (): Promise<void> {
    this.#index.clear()
    const now = this.#deps.now()
    const untimed: Array<readonly [PeerId, string]> = []
    for await (const [storageKey, bytes] of this.#deps.storage.scan('hints')) {
      const parsed = parseHintKey(storageKey)
      if (parsed === undefined) {
        this.#deps.log.warn('ignoring malformed hint key', { key: storageKey })
        continue
      }
      const { storedAt } = readHintRecord(bytes)
      if (storedAt === undefined) untimed.push([parsed[0], storageKey])
      this.#index.set(parsed[0], storageKey, metaOf(storageKey, bytes, storedAt === undefined || storedAt > now ? now : storedAt))
    }
    await this.#stampUntimed(untimed)
  }

  /** Rewrites v1 hints with a header carrying the time the index gave them (best effort: open() never fails for it). */
  async #stampUntimed (untimed: ReadonlyArray<readonly [PeerId, string]>): Promise<void> {
    try {
      for (let i = 0; i < untimed.length; i += HINT_EXPIRY_BATCH) {
        const chunk = untimed.slice(i, i + HINT_EXPIRY_BATCH)
        const stored = await this.#deps.storage.getMany('hints', chunk.map(([, storageKey]) => storageKey))
        const ops: StorageOp[] = []
        const metas: Array<readonly [PeerId, string, HintMeta]> = []
        chunk.forEach(([target, storageKey], j) => {
          const bytes = stored[j]
          const meta = this.#index.get(target, storageKey)
          if (bytes === undefined || meta === undefined || readHintRecord(bytes).storedAt !== undefined) return
          const value = stampHintRecord(meta.storedAt, bytes)
          ops.push({ ns: 'hints', key: storageKey, value })
          metas.push([target, storageKey, metaOf(storageKey, value, meta.storedAt)])
        })
        if (ops.length === 0) continue
        await this.#deps.storage.write(ops)
        for (const [target, storageKey, meta] of metas) this.#index.set(target, storageKey, meta)
      }
    } catch (error) {
      this.#deps.log.warn('could not stamp older hints with a time; their age counts from this start', { error: describeError(error) })
    }
  }

  add (target: PeerId, key: Key, clock: DvvSet): Promise<void> {
    this.#checkTarget(target)
    const storageKey = hintKey(target, key)
    return this.#lock.run(storageKey, async () => {
      const current = await this.#read(storageKey, key)
      const merged = current === null ? clock : sync(current, clock)
      // Hints carry no actor of ours to protect, but never cut below the version handed in:
      // a write's version may carry more entries than the bound, the records of what it
      // superseded (core versions-prune.ts `coveredGrown`), and the target may hold those values.
      const next = truncate(merged, this.#deps.config.truncation, clock.entries.map((e) => e.actor))
      if (current !== null && clockEqual(current, next)) return
      const held = this.#index.get(target, storageKey)
      // A merge keeps the hint's first time: re-sending cannot keep a hint alive.
      const storedAt = held?.storedAt ?? this.#deps.now()
      const value = encodeHintRecord(storedAt, next)
      const meta = metaOf(storageKey, value, storedAt)
      this.#checkQuota(target, meta.bytes - (held?.bytes ?? 0))
      // Counted before the write, in the same turn as the check: a concurrent add of
      // another key then checks against these bytes too, so the quota holds exactly.
      this.#index.set(target, storageKey, meta)
      try {
        await this.#deps.storage.write([{ ns: 'hints', key: storageKey, value }])
      } catch (error) {
        this.#index.set(target, storageKey, held)
        throw error
      }
      this.#deps.metrics.hintsStored++
      for (const listener of this.#onAdd) listener()
    })
  }

  /**
   * Calls `listener` after each hint kept; returns the unsubscribe. The hand-off
   * (cluster/handoff.ts) sleeps while this store holds no hint and wakes on this.
   */
  onAdd (listener: () => void): () => void {
    this.#onAdd.add(listener)
    return () => { this.#onAdd.delete(listener) }
  }

  readonly #onAdd = new Set<() => void>()

  targets (): PeerId[] {
    return this.#index.targets()
  }

  pending (): number {
    return this.#index.count()
  }

  /** Pending hints for one target. */
  pendingFor (target: PeerId): number {
    return this.#index.countFor(target)
  }

  /** Bytes of all hints held (storage keys and records). */
  bytes (): number {
    return this.#index.bytes()
  }

  /** Bytes of the hints held for one target. */
  bytesFor (target: PeerId): number {
    return this.#index.bytesFor(target)
  }

  /**
   * Deletes every hint first stored more than config.hintMaxAgeMs ago (by the injected
   * clock), counted in metrics.hintsExpired. Resolves with the number deleted per target.
   */
  async expire (): Promise<Map<PeerId, number>> {
    const cutoff = this.#deps.now() - this.#deps.config.hintMaxAgeMs
    const expired = new Map<PeerId, number>()
    for (const [target, keys] of this.#index.storedBefore(cutoff)) {
      for (let i = 0; i < keys.length; i += HINT_EXPIRY_BATCH) {
        const chunk = keys.slice(i, i + HINT_EXPIRY_BATCH)
        const count = await this.#lock.run(chunk, async () => {
          // Checked again under the lock: a hint delivered meanwhile is gone, one stored anew has a new time.
          const still = chunk.filter((storageKey) => (this.#index.get(target, storageKey)?.storedAt ?? cutoff) < cutoff)
          if (still.length === 0) return 0
          await this.#deps.storage.write(still.map((key) => ({ ns: 'hints', key, value: null })))
          for (const storageKey of still) this.#index.set(target, storageKey, undefined)
          return still.length
        })
        if (count > 0) expired.set(target, (expired.get(target) ?? 0) + count)
        this.#deps.metrics.hintsExpired += count
      }
    }
    return expired
  }

  /**
   * Up to `limit` hints for `target` in storage order; with `after`, only those past that
   * key's hint (a cursor: a caller with batches in flight reads on without re-reading them).
   */
  async batch (target: PeerId, limit: number, after?: Key): Promise<Array<readonly [Key, DvvSet]>> {
    const out: Array<readonly [Key, DvvSet]> = []
    const corrupt: string[] = []
    if (limit <= 0 || !this.#index.has(target)) return out
    const range = { ...hintRange(target, after), limit }
    for await (const [storageKey, bytes] of this.#deps.storage.scan('hints', range)) {
      const key = keyOfHintKey(target, storageKey)
      const clock = openClock(readHintRecord(bytes).sealed, { ns: 'hints', key: storageKey }, this.#deps)
      if (clock === null) {
        corrupt.push(storageKey)
      } else {
        this.#readFrom.set(clock, bytes)
        out.push([key, clock])
      }
    }
    // A corrupt hint can never be delivered; the data it carried is also on the
    // coordinator and is repaired by anti-entropy, so drop it rather than retry forever.
    if (corrupt.length > 0) await this.#deleteIfStill(target, corrupt.map((k) => [k, null]))
    return out
  }

  async remove (target: PeerId, delivered: ReadonlyArray<readonly [Key, DvvSet]>): Promise<number> {
    return this.#deleteIfStill(target, delivered.map(([key, clock]) => [hintKey(target, key), clock]))
  }

  /** Deletes each hint whose stored version still equals the expected one (null: still corrupt). */
  async #deleteIfStill (target: PeerId, expected: ReadonlyArray<readonly [string, DvvSet | null]>): Promise<number> {
    const keys = expected.map(([storageKey]) => storageKey)
    if (keys.length === 0) return 0
    return this.#lock.run(keys, async () => {
      const stored = await this.#deps.storage.getMany('hints', keys)
      const ops: StorageOp[] = []
      expected.forEach(([storageKey, clock], i) => {
        const bytes = stored[i]
        if (bytes === undefined) return
        if (this.#isUnchanged(storageKey, bytes, clock)) ops.push({ ns: 'hints', key: storageKey, value: null })
      })
      if (ops.length === 0) return 0
      await this.#deps.storage.write(ops)
      for (const op of ops) this.#index.set(target, op.key, undefined)
      return ops.length
    })
  }

  /** Whether the stored record `bytes` still holds `expected` (null: still corrupt). */
  #isUnchanged (storageKey: string, bytes: Uint8Array, expected: DvvSet | null): boolean {
    const readFrom = expected === null ? undefined : this.#readFrom.get(expected)
    // The very record the clock was read from: unchanged. (Other bytes may still encode an equal clock.)
    if (readFrom !== undefined && equalBytes(readFrom, bytes)) return true
    const current = openClock(readHintRecord(bytes).sealed, { ns: 'hints', key: storageKey }, this.#deps)
    return expected === null ? current === null : current !== null && clockEqual(current, expected)
  }

  async #read (storageKey: string, key: Key): Promise<DvvSet | null> {
    const bytes = await this.#deps.storage.get('hints', storageKey)
    return bytes === undefined ? null : openClock(readHintRecord(bytes).sealed, { ns: 'hints', key }, this.#deps)
  }

  /** HintQuotaError (counted in metrics.hintsRefused) when `growth` more bytes would pass a quota. */
  #checkQuota (target: PeerId, growth: number): void {
    if (growth <= 0) return
    const { hintQuotaBytes, hintQuotaPerTargetBytes } = this.#deps.config
    const forTarget = this.#index.bytesFor(target)
    const total = this.#index.bytes()
    let error: HintQuotaError | undefined
    if (forTarget + growth > hintQuotaPerTargetBytes) error = new HintQuotaError('per-target', target, forTarget, growth, hintQuotaPerTargetBytes)
    else if (total + growth > hintQuotaBytes) error = new HintQuotaError('total', target, total, growth, hintQuotaBytes)
    if (error === undefined) return
    this.#deps.metrics.hintsRefused[error.quota]++
    throw error
  }

  #checkTarget (target: PeerId): void {
    if (!isHintTarget(target)) {
      throw new InvalidHintTargetError(`invalid hint target ${JSON.stringify(target)}`)
    }
    if (target === this.#deps.id) throw new InvalidHintTargetError('a peer keeps no hints for itself')
  }
}

/** The index entry of a hint stored as `value` under `storageKey`. */
function metaOf (storageKey: string, value: Uint8Array, storedAt: number): HintMeta {
  return { bytes: utf8ByteLength(storageKey) + value.byteLength, storedAt }
}

