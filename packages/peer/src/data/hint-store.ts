/**
 * Hints (paper §4.6): versions this peer keeps for another peer that could not take them
 * when written, until hinted handoff delivers them. Namespace `hints`, key `hintKey(target,
 * key)` → `sealRecord(encodeClock(clock))`: all hints of one target form one contiguous
 * range (storage-keys.ts).
 *
 * Two hints for the same (target, key) merge (DVV sync): the target gets one version that
 * covers both. A hint is deleted only if it is unchanged since it was sent, so a version
 * merged in while a delivery was in flight stays pending.
 */
import { clockEqual, equalBytes, sync, truncate } from '@ringstore/core'
import type { DvvSet, Key, PeerId } from '@ringstore/core'
import type { HintStore } from '../components.js'
import { InvalidHintTargetError } from '../errors.js'
import type { PeerConfig } from '../config.js'
import type { Logger, Storage, StorageOp } from '../interfaces.js'
import { KeyedLock } from './keyed-lock.js'
import type { PeerMetrics } from '../metrics.js'
import { hintKey, hintRange, isHintTarget, keyOfHintKey, parseHintKey } from './storage-keys.js'
import { openClock, sealClock } from './stored-clock.js'

export interface HintStoreDeps {
  readonly id: PeerId
  readonly storage: Storage
  readonly config: Pick<PeerConfig, 'maxClockEntries'>
  readonly log: Logger
  readonly metrics: PeerMetrics
}

export class StorageHintStore implements HintStore {
  readonly #deps: HintStoreDeps
  readonly #lock = new KeyedLock()
  /** Pending hints per target (storage keys), loaded in open(). */
  readonly #index = new Map<PeerId, Set<string>>()
  /**
   * The stored record each clock handed out by batch() was decoded from. remove() compares
   * the record still stored with it byte for byte: unchanged without decoding it again
   * (a decode of every delivered hint was most of a delete's CPU).
   */
  readonly #readFrom = new WeakMap<DvvSet, Uint8Array>()

  constructor (deps: HintStoreDeps) {
    this.#deps = deps
  }

  async open (): Promise<void> {
    this.#index.clear()
    for await (const [storageKey] of this.#deps.storage.scan('hints')) {
      const parsed = parseHintKey(storageKey)
      if (parsed === undefined) {
        this.#deps.log.warn('ignoring malformed hint key', { key: storageKey })
        continue
      }
      this.#track(parsed[0], storageKey, true)
    }
  }

  add (target: PeerId, key: Key, clock: DvvSet): Promise<void> {
    this.#checkTarget(target)
    const storageKey = hintKey(target, key)
    return this.#lock.run(storageKey, async () => {
      const current = await this.#read(storageKey, key)
      const merged = current === null ? clock : sync(current, clock)
      // Hints carry no actor of ours to protect: any entry may be truncated.
      const next = truncate(merged, this.#deps.config.maxClockEntries)
      if (current !== null && clockEqual(current, next)) return
      await this.#deps.storage.write([{ ns: 'hints', key: storageKey, value: sealClock(next) }])
      this.#track(target, storageKey, true)
      this.#deps.metrics.hintsStored++
    })
  }

  targets (): PeerId[] {
    return [...this.#index.keys()].sort()
  }

  pending (): number {
    let count = 0
    for (const keys of this.#index.values()) count += keys.size
    return count
  }

  /** Pending hints for one target. */
  pendingFor (target: PeerId): number {
    return this.#index.get(target)?.size ?? 0
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
      const clock = openClock(bytes, { ns: 'hints', key: storageKey }, this.#deps)
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
      for (const op of ops) this.#track(target, op.key, false)
      return ops.length
    })
  }

  /** Whether the stored record `bytes` still holds `expected` (null: still corrupt). */
  #isUnchanged (storageKey: string, bytes: Uint8Array, expected: DvvSet | null): boolean {
    const readFrom = expected === null ? undefined : this.#readFrom.get(expected)
    // The very record the clock was read from: unchanged. (Other bytes may still encode an equal clock.)
    if (readFrom !== undefined && equalBytes(readFrom, bytes)) return true
    const current = openClock(bytes, { ns: 'hints', key: storageKey }, this.#deps)
    return expected === null ? current === null : current !== null && clockEqual(current, expected)
  }

  async #read (storageKey: string, key: Key): Promise<DvvSet | null> {
    const bytes = await this.#deps.storage.get('hints', storageKey)
    return bytes === undefined ? null : openClock(bytes, { ns: 'hints', key }, this.#deps)
  }

  #track (target: PeerId, storageKey: string, present: boolean): void {
    let keys = this.#index.get(target)
    if (present) {
      if (keys === undefined) {
        keys = new Set()
        this.#index.set(target, keys)
      }
      keys.add(storageKey)
    } else if (keys !== undefined) {
      keys.delete(storageKey)
      if (keys.size === 0) this.#index.delete(target)
    }
  }

  #checkTarget (target: PeerId): void {
    if (!isHintTarget(target)) {
      throw new InvalidHintTargetError(`invalid hint target ${JSON.stringify(target)}`)
    }
    if (target === this.#deps.id) throw new InvalidHintTargetError('a peer keeps no hints for itself')
  }
}
