/**
 * The local replica: every key this peer stores in the `data` namespace, one Merkle tree
 * per partition kept in step with it, and the actor this peer mints dots with
 * (actor-epoch.ts). Storage keys: storage-keys.ts.
 *
 * Corrupt records (stored-clock.ts) are never "no such key": `get` and `getWithDigest`
 * throw CorruptRecordError (a replica-get answers the error code 'corrupt', a coordinator
 * counts that replica as failed and repairs it), and the key's Merkle leaf holds
 * CORRUPT_DIGEST, which differs from every good replica's, so anti-entropy repairs it too.
 * Bulk reads (getMany, scans: anti-entropy, transfer, tombstone GC) skip them as absent:
 * each of those then sends or keeps the other side's version, which is the repair. A merge
 * into a corrupt record replaces it (after an epoch bump: our own dots may have been in it).
 *
 * Every read-modify-write of a key runs under that key's lock, so two merges arriving at
 * once both land. The Merkle trees change only once a write is durable, so a tree never
 * claims data the disk may not have.
 *
 * Staged mints. A coordinator may send a new version to the replicas while its own copy is
 * still being written (`stage`, when `stagedMints` is on): one fsync less on a put's path.
 * A replica may then hold a dot the local disk never got, so the actor epoch moves on after
 * an unclean stop or a failed staged write (actor-epoch.ts); close() waits for the staged
 * writes in flight before it records a clean shutdown. A store without stagedMints (a light
 * peer) resolves `stage` only once the write is durable, as every write did before staging
 * existed.
 */
import { clockEqual, CorruptRecordError, CounterExhaustedError, coveredGrown, keyHash, lww, MerkleTree, partitionOfHash, partitionRange, sync, truncate, youngRecordsDropped } from '@ringstore/core'
import type { DvvSet, Key } from '@ringstore/core'
import type { ReplicaStore, Staged } from '../components.js'
import type { PeerConfig } from '../config.js'
import type { Logger, Storage, StorageOp } from '../interfaces.js'
import type { PeerMetrics } from '../metrics.js'
import { ActorEpoch, epochOfActor } from './actor-epoch.js'
import { KeyedLock } from './keyed-lock.js'
import { dataKey, dataKeyOfHash, keyOfDataKey } from './storage-keys.js'
import { CORRUPT_DIGEST, isSoundRecord, openClock, openClockWithDigest, sealClockWithDigest } from './stored-clock.js'
import { OpenedClocks } from './opened-clocks.js'
import { OPENED_CLOCKS_BYTES } from '../constants.js'
import type { SealedClock } from './stored-clock.js'

export interface ReplicaStoreDeps {
  readonly id: string
  readonly storage: Storage
  readonly config: Pick<PeerConfig, 'q' | 'truncation' | 'lww'>
  readonly log: Logger
  readonly metrics: PeerMetrics
  /**
   * Wall clock for the first epoch of a fresh store. A store that starts empty under an id
   * that may have been used before (wiped storage, same identity) must not reuse that id's
   * old dots, so its first epoch is the current time in ms rather than 1.
   */
  readonly now?: () => number
  /**
   * Resolve `stage` before the write is durable (see "Staged mints"). Off: once the write is
   * durable.
   */
  readonly stagedMints?: boolean
}

/**
 * Where one key lives here: its storage key and its partition, both from one hash of the
 * key (sha256: hashing it once per operation instead of once per use saves two per write).
 */
interface KeySlot {
  readonly key: Key
  readonly storageKey: string
  readonly partition: number
  /** keyHash(key), which also picks the key's Merkle bucket. */
  readonly hash: Uint8Array
}

interface ReadResult { readonly clock: DvvSet | null, readonly corrupt: boolean }

/** The `durable` of a write that needed no disk write, or was durable before it was staged. */
const LANDED: Promise<boolean> = Promise.resolve(true)
const landed = (): boolean => true

export class StorageReplicaStore implements ReplicaStore {
  readonly #deps: ReplicaStoreDeps
  readonly #epochs: ActorEpoch
  readonly #lock = new KeyedLock()
  readonly #trees = new Map<number, MerkleTree>()
  /** Clocks decoded lately, by key, with their stored bytes (opened-clocks.ts). */
  readonly #opened = new OpenedClocks(OPENED_CLOCKS_BYTES)
  /** Staged writes whose local write has not settled: close() waits for them. */
  readonly #staged = new Set<Promise<void>>()
  /** From close() on, writes are no longer staged (stage waits for durability). */
  #closing = false

  constructor (deps: ReplicaStoreDeps) {
    this.#deps = deps
    this.#epochs = new ActorEpoch({ ...deps, stages: deps.stagedMints === true })
  }

  /** Loads the epoch and rebuilds the Merkle trees from a full scan of the data. */
  async open (): Promise<void> {
    this.#trees.clear()
    this.#closing = false
    const stored = await this.#epochs.load()
    let highestEpoch = 0
    let corrupt = 0
    for await (const [storageKey, bytes] of this.#deps.storage.scan('data')) {
      const key = keyOfDataKey(storageKey)
      const opened = openClockWithDigest(bytes, { ns: 'data', key }, this.#deps)
      const slot = this.#slot(key)
      if (opened === null) {
        corrupt++
        this.tree(slot.partition).set(key, CORRUPT_DIGEST, slot.hash)
        continue
      }
      const { clock, digest } = opened
      this.tree(slot.partition).set(key, digest, slot.hash)
      for (const entry of clock.entries) highestEpoch = Math.max(highestEpoch, epochOfActor(entry.actor, this.#deps.id) ?? 0)
    }
    await this.#epochs.settle(stored, { highestEpoch, corrupt })
  }

  /**
   * Record a clean shutdown once every staged write has settled (actor-epoch.ts). Later
   * writes are not staged. Call at stop, before the host closes the storage; never fails.
   */
  async close (): Promise<void> {
    if (this.#epochs.current === 0 || this.#closing) return
    this.#closing = true
    await Promise.allSettled([...this.#staged])
    if (this.#stages()) await this.#epochs.recordCleanShutdown()
  }

  actor (): string {
    return this.#epochs.actor()
  }

  /** The current epoch (for tests and status). */
  get epoch (): number {
    return this.#epochs.current
  }

  /** The stored version, null when none; throws CorruptRecordError when the stored record is corrupt. */
  async get (key: Key): Promise<DvvSet | null> {
    const slot = this.#slot(key)
    const { clock, corrupt } = await this.#read(slot)
    if (corrupt) throw this.#corrupt(slot)
    return clock
  }

  /** As `get`, with the version's digest. */
  async getWithDigest (key: Key): Promise<{ readonly clock: DvvSet, readonly digest: Uint8Array } | null> {
    const slot = this.#slot(key)
    const bytes = await this.#deps.storage.get('data', slot.storageKey)
    if (bytes === undefined) return null
    const opened = openClockWithDigest(bytes, { ns: 'data', key }, this.#deps)
    if (opened === null) throw this.#corrupt(slot)
    return opened
  }

  digest (key: Key): Uint8Array | null {
    const slot = this.#slot(key)
    return this.#trees.get(slot.partition)?.get(key, slot.hash) ?? null
  }

  async getMany (keys: readonly Key[]): Promise<Array<DvvSet | null>> {
    const values = await this.#deps.storage.getMany('data', keys.map(dataKey))
    return values.map((bytes, i) => {
      if (bytes === undefined) return null
      const key = keys[i] as Key
      const clock = openClock(bytes, { ns: 'data', key }, this.#deps, this.#opened)
      if (clock === null) this.#markCorrupt(this.#slot(key))
      return clock
    })
  }

  merge (key: Key, clock: DvvSet): Promise<DvvSet> {
    return this.#lock.run(key, async () => {
      const slot = this.#slot(key)
      const current = await this.#readToModify(slot)
      const next = this.#normalize(key, current === null ? clock : sync(current, clock))
      if (current !== null && clockEqual(current, next)) return current
      await this.#persist([[slot, next]])
      return next
    })
  }

  stage<T extends { readonly next: DvvSet }> (key: Key, fn: (current: DvvSet | null, actor: string) => T): Promise<Staged<T>> {
    // Decided now, synchronously: a close() from here on waits for this write.
    const staging = this.#stages() && !this.#closing
    return new Promise<Staged<T>>((resolve, reject) => {
      // Never rejects: a failure before staging rejects the caller's promise, one after it
      // resolves `durable` with false.
      const settled = this.#lock.run(key, async () => {
        try {
          const slot = this.#slot(key)
          const current = await this.#readToModify(slot)
          const result = await this.#mintWith(key, current, fn)
          // The entries the write's context superseded are kept in its own truncation
          // (core versions-prune.ts `coveredGrown`): they travel with this version.
          const next = this.#normalize(key, result.next, coveredGrown(current, result.next))
          if (current !== null && clockEqual(current, next)) {
            resolve({ result, clock: current, durable: LANDED })
            return
          }
          const write = this.#persist([[slot, next]])
          if (!staging) {
            await write
            resolve({ result, clock: next, durable: LANDED })
            return
          }
          const durable = write.then(landed, (error: unknown) => this.#stagedWriteFailed(key, error))
          resolve({ result, clock: next, durable })
          // The key stays locked until its write settled: the next one reads what this wrote.
          await durable
        } catch (error) {
          reject(error)
        }
      })
      if (staging) {
        this.#staged.add(settled)
        void settled.then(() => { this.#staged.delete(settled) })
      }
    })
  }

  /**
   * `fn` with this store's actor; when that actor's counter for this key is exhausted (a
   * forged context pushed it to the largest safe integer: core's CounterExhaustedError),
   * once more with a new actor epoch, so no input can make a key unwritable here.
   */
  async #mintWith<T> (key: Key, current: DvvSet | null, fn: (current: DvvSet | null, actor: string) => T): Promise<T> {
    try {
      return fn(current, this.#epochs.actor())
    } catch (error) {
      if (!(error instanceof CounterExhaustedError)) throw error
      this.#deps.log.warn('the actor\'s counter of a key is exhausted (a forged context?): minting with a new actor epoch', { key, actor: error.actor })
      await this.#epochs.bump([])
      return fn(current, this.#epochs.actor())
    }
  }

  async mergeMany (items: ReadonlyArray<readonly [Key, DvvSet]>): Promise<void> {
    const incoming = new Map<Key, DvvSet>()
    for (const [key, clock] of items) {
      const seen = incoming.get(key)
      incoming.set(key, seen === undefined ? clock : sync(seen, clock))
    }
    const keys = [...incoming.keys()]
    if (keys.length === 0) return
    await this.#lock.run(keys, async () => {
      const slots = keys.map((key) => this.#slot(key))
      const stored = await this.#deps.storage.getMany('data', slots.map((slot) => slot.storageKey))
      let corrupt = false
      const changed: Array<readonly [KeySlot, SealedClock]> = []
      slots.forEach((slot, i) => {
        const { key } = slot
        const bytes = stored[i]
        const current = bytes === undefined ? null : openClock(bytes, { ns: 'data', key }, this.#deps, this.#opened)
        if (bytes !== undefined && current === null) corrupt = true
        const clock = incoming.get(key) as DvvSet
        // One key that cannot be stored must not fail the others of its batch (an
        // anti-entropy push, a transfer, a hint delivery): it is skipped and reported.
        const sealed = this.#sealMerge(key, current, clock)
        if (sealed !== null) changed.push([slot, sealed])
      })
      if (corrupt) await this.#epochs.bump([])
      if (changed.length > 0) await this.#write(changed)
    })
  }

  /**
   * The sealed merge of `incoming` into `current`, null when it changes nothing or cannot
   * be stored. The merge is never refused for passing the write bounds (core's
   * LIMITS.siblings and siblingBytes, checked only where a dot is minted: mint.ts), so
   * replicas converge on a union larger than any one write could make; only a union past
   * the storage bound (the codec's, LIMITS.storedSiblings) does not encode, and then the
   * key keeps what it holds here (nothing is lost) and is counted in `mergesRefused`.
   */
  #sealMerge (key: Key, current: DvvSet | null, incoming: DvvSet): SealedClock | null {
    try {
      const next = this.#normalize(key, current === null ? incoming : sync(current, incoming))
      if (current !== null && clockEqual(current, next)) return null
      return sealClockWithDigest(next)
    } catch (error) {
      this.#deps.metrics.mergesRefused++
      this.#deps.log.error('merged version of a key cannot be stored: skipped, the replica keeps its own', {
        key,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error)
      })
      return null
    }
  }

  dropIfUnchanged (key: Key, expected: DvvSet): Promise<boolean> {
    return this.#lock.run(key, async () => {
      const slot = this.#slot(key)
      const { clock: current } = await this.#read(slot)
      if (current === null || !clockEqual(current, expected)) return false
      const remove: StorageOp = { ns: 'data', key: slot.storageKey, value: null }
      // Only a clock holding dots of the current actor forces a new epoch (actor-epoch.ts):
      // dropping anything else cannot make this actor reuse a dot, and bumping on every
      // drop would add a fresh actor entry to every clock this peer writes afterwards.
      const actor = this.actor()
      if (current.entries.some((entry) => entry.actor === actor)) await this.#epochs.bump([remove])
      else await this.#deps.storage.write([remove])
      this.tree(slot.partition).set(key, null, slot.hash)
      return true
    })
  }

  tree (partition: number): MerkleTree {
    let tree = this.#trees.get(partition)
    if (tree === undefined) {
      tree = new MerkleTree()
      this.#trees.set(partition, tree)
    }
    return tree
  }

  partitions (): number[] {
    return [...this.#trees].filter(([, tree]) => tree.size > 0).map(([p]) => p).sort((a, b) => a - b)
  }

  async * keysInPartition (partition: number): AsyncIterable<readonly [Key, DvvSet]> {
    yield * this.#scan(partitionRange(partition, this.#deps.config.q))
  }

  /** Every stored key with its version, in storage order. */
  async * entries (): AsyncIterable<readonly [Key, DvvSet]> {
    yield * this.#scan({})
  }

  size (): number {
    let size = 0
    for (const tree of this.#trees.values()) size += tree.size
    return size
  }

  async * #scan (range: { gte?: string, lt?: string }): AsyncIterable<readonly [Key, DvvSet]> {
    for await (const [storageKey, bytes] of this.#deps.storage.scan('data', range)) {
      const key = keyOfDataKey(storageKey)
      const clock = openClock(bytes, { ns: 'data', key }, this.#deps, this.#opened)
      if (clock !== null) yield [key, clock] as const
    }
  }

  /** The error a strict read of a corrupt record throws; the key's Merkle leaf is marked corrupt. */
  #corrupt (slot: KeySlot): CorruptRecordError {
    this.#markCorrupt(slot)
    return new CorruptRecordError(`the stored record of key ${JSON.stringify(slot.key)} is corrupt (checksum or encoding)`)
  }

  /**
   * Sets the key's Merkle leaf to CORRUPT_DIGEST when its record is still corrupt, under the
   * key's lock: a merge that replaced the record meanwhile set the good digest, which this
   * must not overwrite. In the background; never rejects (a closed store marks nothing).
   */
  #markCorrupt (slot: KeySlot): void {
    void this.#lock.run(slot.key, async () => {
      const bytes = await this.#deps.storage.get('data', slot.storageKey)
      if (bytes !== undefined && !isSoundRecord(bytes)) this.tree(slot.partition).set(slot.key, CORRUPT_DIGEST, slot.hash)
    }).catch(() => undefined)
  }

  #slot (key: Key): KeySlot {
    const hash = keyHash(key)
    return { key, storageKey: dataKeyOfHash(key, hash), partition: partitionOfHash(hash, this.#deps.config.q), hash }
  }

  async #read (slot: KeySlot): Promise<ReadResult> {
    const bytes = await this.#deps.storage.get('data', slot.storageKey)
    if (bytes === undefined) return { clock: null, corrupt: false }
    const clock = openClock(bytes, { ns: 'data', key: slot.key }, this.#deps, this.#opened)
    return { clock, corrupt: clock === null }
  }

  /**
   * The stored version of a key about to be rewritten (under its lock), once the actor
   * epoch is safe to mint with: past a failed staged write, and past a corrupt record of
   * this key (our own dots of it may have been in the lost record).
   */
  async #readToModify (slot: KeySlot): Promise<DvvSet | null> {
    if (this.#epochs.owed) await this.#epochs.bumpIfOwed()
    const bytes = await this.#deps.storage.get('data', slot.storageKey)
    if (bytes === undefined) return null
    const clock = openClock(bytes, { ns: 'data', key: slot.key }, this.#deps, this.#opened)
    if (clock === null) await this.#epochs.bump([])
    return clock
  }

  /** A staged write failed: the version may be at a replica already, its dot unknown to our disk. */
  #stagedWriteFailed (key: Key, error: unknown): boolean {
    this.#epochs.owe()
    this.#deps.log.error('local write of a minted version failed', {
      key,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error)
    })
    return false
  }

  /** LWW when configured for the key, then truncation that never drops our own actor (nor `keep`). */
  #normalize (key: Key, clock: DvvSet, keep: readonly string[] = []): DvvSet {
    const { config } = this.#deps
    const resolved = config.lww(key) ? lww(clock) : clock
    // The common case has nothing to drop: skip truncate's copy of the clock.
    if (resolved.entries.length <= config.truncation.entries) return resolved
    const truncated = truncate(resolved, config.truncation, [this.actor(), ...keep])
    this.#deps.metrics.youngRecordsDropped += youngRecordsDropped(resolved, truncated, config.truncation)
    return truncated
  }

  async #persist (items: ReadonlyArray<readonly [KeySlot, DvvSet]>): Promise<void> {
    // One encoding per clock gives both the stored record and the Merkle digest.
    const sealed = items.map(([slot, clock]) => {
      const record = sealClockWithDigest(clock)
      // The next read of this key finds exactly these bytes (unless something else wrote
      // since: opened-clocks.ts compares them), so it need not decode them.
      this.#opened.remember(slot.key, record.sealed, clock)
      return [slot, record] as const
    })
    await this.#write(sealed)
  }

  async #write (items: ReadonlyArray<readonly [KeySlot, SealedClock]>): Promise<void> {
    await this.#deps.storage.write(items.map(([slot, sealed]) => ({ ns: 'data' as const, key: slot.storageKey, value: sealed.sealed })))
    items.forEach(([slot, sealed]) => this.tree(slot.partition).set(slot.key, sealed.digest, slot.hash))
  }

  #stages (): boolean {
    return this.#deps.stagedMints === true
  }
}
