/**
 * The local replica: every key this peer stores in the `data` namespace, one Merkle tree
 * per partition kept in step with it, and the actor id this peer mints dots with.
 *
 * Layout: key `${hashPrefixHex(key)}/${key}` → `sealRecord(encodeClock(clock))`, so each
 * partition is one contiguous storage range (hash.ts `partitionRange`). Corrupt records
 * read as absent (stored-clock.ts).
 *
 * Every read-modify-write of a key runs under that key's lock, so two merges arriving at
 * once both land. Every write is durable (storage.write resolved) before the method
 * resolves, and the Merkle trees change only after that, so a tree never claims data the
 * disk may not have.
 *
 * Actor epochs. The actor is `${peerId}:${epoch}`. A dot may only be minted by an actor
 * whose every earlier value is still held locally: `update` numbers the new dot from the
 * actor's counter in the stored clock, so if this peer had dropped a key whose clock held
 * its own dots (tombstone GC, hand-off of a partition, a corrupt record) and then coordinated
 * a new write of it, it would mint a dot it had already used for a different value, and
 * replicas still holding the old one would treat the new write as already seen (Riak's
 * vnode epochs solve the same problem). So before such a drop the epoch is bumped, durably,
 * and later dots come from a fresh actor that has minted nothing yet.
 *
 * Staged mints. A coordinator may send a new version to the replicas while its own copy is
 * still being written (`apply` with `onStaged`, when `stagedMints` is on): one fsync less
 * on a put's path. Then a replica may hold a dot the local disk never got (a crash, or a
 * failed write, before it was durable), the same hazard as a dropped key, with the same
 * answer (Riak's vnode epochs again): the epoch is bumped on any start not preceded by a
 * clean shutdown (a durable marker written by close() once no staged write is in flight,
 * and removed at open before anything is minted), and after a failed staged write before
 * the next mint. A store without stagedMints (a light peer: a browser tab rarely closes
 * cleanly) calls onStaged only once durable, writes the marker at open, and never bumps for
 * an unclean stop of its own.
 */
import {
  MerkleTree, clockEqual, hashPrefixUint32, keyHash, lww, openRecord, partitionOfHash, partitionRange, sealRecord, sync, truncate
} from '@ringstore/core'
import type { DvvSet, Key } from '@ringstore/core'
import type { ReplicaStore } from '../components.js'
import type { PeerConfig } from '../config.js'
import type { Logger, Storage, StorageOp } from '../interfaces.js'
import { KeyedLock } from './keyed-lock.js'
import type { PeerMetrics } from '../metrics.js'
import { openClock, openClockWithDigest, sealClockWithDigest } from './stored-clock.js'

/**
 * Meta keys of the durable actor epoch: two sealed copies written in one atomic batch, so
 * one corrupt copy still leaves the epoch known (the stored clocks only give a lower
 * bound: a dropped key may have carried the latest epoch's dots away).
 */
export const EPOCH_META_KEYS = ['actor-epoch', 'actor-epoch-copy'] as const

/**
 * Meta key of the clean-shutdown marker (see "Staged mints" above): present and intact only
 * while no staged write of this store can be missing from its disk.
 */
export const CLEAN_SHUTDOWN_KEY = 'clean-shutdown'

/** Length of the hex hash prefix of a data storage key, plus its '/' separator. */
const PREFIX_CHARS = 9

export interface ReplicaStoreDeps {
  readonly id: string
  readonly storage: Storage
  readonly config: Pick<PeerConfig, 'q' | 'maxClockEntries' | 'lww'>
  readonly log: Logger
  readonly metrics: PeerMetrics
  /**
   * Wall clock for the first epoch of a fresh store. A store that starts empty under an id
   * that may have been used before (wiped storage, same identity) must not reuse that id's
   * old dots, so its first epoch is the current time in ms rather than 1.
   */
  readonly now?: () => number
  /**
   * Call `apply`'s onStaged before the write is durable (see "Staged mints"). Off: onStaged
   * runs once the write is durable, as every write did before staging existed.
   */
  readonly stagedMints?: boolean
}

/** The storage key of a user key in the `data` namespace. */
export function dataKey (key: Key): string {
  return `${hashPrefixHex8(keyHash(key))}/${key}`
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

/** The user key of a `data` storage key (inverse of `dataKey`). */
export function keyOfDataKey (storageKey: string): Key {
  return storageKey.slice(PREFIX_CHARS)
}

function hashPrefixHex8 (hash: Uint8Array): string {
  return hashPrefixUint32(hash).toString(16).padStart(8, '0')
}

/** The epoch of `actor` if it is one of `peer`'s actors (`${peer}:${epoch}`), else undefined. */
export function epochOfActor (actor: string, peer: string): number | undefined {
  if (!actor.startsWith(`${peer}:`)) return undefined
  const rest = actor.slice(peer.length + 1)
  return /^[1-9][0-9]*$/.test(rest) ? Number(rest) : undefined
}

interface ReadResult { readonly clock: DvvSet | null, readonly corrupt: boolean }

export class StorageReplicaStore implements ReplicaStore {
  readonly #deps: ReplicaStoreDeps
  readonly #lock = new KeyedLock()
  /** Serialises epoch bumps (read epoch, persist epoch + 1). */
  readonly #epochLock = new KeyedLock()
  readonly #trees = new Map<number, MerkleTree>()
  #epoch = 0
  /** Staged applies whose local write has not settled: close() waits for them. */
  readonly #staged = new Set<Promise<unknown>>()
  /** From close() on, applies are no longer staged (onStaged waits for durability). */
  #closing = false
  /** A staged write failed: its dot may be out there; bump before the next mint. */
  #mustBump = false

  constructor (deps: ReplicaStoreDeps) {
    this.#deps = deps
  }

  /** Loads the epoch and rebuilds the Merkle trees from a full scan of the data. */
  async open (): Promise<void> {
    const { storage, id, log } = this.#deps
    this.#trees.clear()
    this.#closing = false
    const stored = await this.#loadEpoch()
    const clean = await this.#loadCleanMarker()
    let highestSeen = 0
    let corrupt = 0
    for await (const [storageKey, bytes] of storage.scan('data')) {
      const key = keyOfDataKey(storageKey)
      const opened = openClockWithDigest(bytes, { ns: 'data', key }, this.#deps)
      if (opened === null) { corrupt++; continue }
      const { clock, digest } = opened
      const slot = this.#slot(key)
      this.tree(slot.partition).set(key, digest, slot.hash)
      for (const entry of clock.entries) highestSeen = Math.max(highestSeen, epochOfActor(entry.actor, id) ?? 0)
    }
    // Stored dots of a later epoch than the meta record says: the meta records were lost;
    // a corrupt data record may have held our latest dots. Either way move past everything
    // we can see (best effort: with both epoch copies lost, a dropped key's dots are unseen).
    let epoch = stored ?? 0
    if (epoch < highestSeen || corrupt > 0) {
      if (stored !== undefined) log.error('actor epoch moved forward on open', { stored, highestSeen, corrupt })
      epoch = Math.max(epoch, highestSeen) + 1
    }
    // A staged write of the last run may have reached a replica and not our disk.
    if (stored !== undefined && !clean && epoch === stored) {
      log.info('no clean shutdown recorded: moving to a new actor epoch', { stored })
      epoch = stored + 1
    }
    if (stored === undefined) epoch = Math.max(epoch, Math.floor(this.#deps.now?.() ?? 0))
    epoch = Math.max(epoch, 1)
    // A staging store is "unclean" until close(); one that never stages is clean throughout.
    const wantMarker = !this.#stages()
    const marker: StorageOp = { ns: 'meta', key: CLEAN_SHUTDOWN_KEY, value: wantMarker ? CLEAN_MARKER : null }
    if (epoch !== stored || clean !== wantMarker) await storage.write([...(epoch !== stored ? epochOps(epoch) : []), marker])
    this.#epoch = epoch
    this.#mustBump = false
  }

  /**
   * Record a clean shutdown: once every staged write has settled, the marker is written
   * (durably) unless a staged write failed and no bump has covered it. Later applies are
   * not staged. Call at stop, before the host closes the storage; never fails (a missing
   * marker only costs an epoch bump at the next open).
   */
  async close (): Promise<void> {
    if (this.#epoch === 0 || this.#closing) return
    this.#closing = true
    await Promise.allSettled([...this.#staged])
    if (this.#mustBump || !this.#stages()) return
    try {
      await this.#deps.storage.write([{ ns: 'meta', key: CLEAN_SHUTDOWN_KEY, value: CLEAN_MARKER }])
    } catch (error) {
      this.#deps.log.warn('could not record a clean shutdown; the next start moves to a new epoch', {
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error)
      })
    }
  }

  actor (): string {
    if (this.#epoch === 0) throw new Error('replica store used before open()')
    return `${this.#deps.id}:${this.#epoch}`
  }

  /** The current epoch (for tests and status). */
  get epoch (): number {
    return this.#epoch
  }

  async get (key: Key): Promise<DvvSet | null> {
    return (await this.#read(this.#slot(key))).clock
  }

  async getWithDigest (key: Key): Promise<{ readonly clock: DvvSet, readonly digest: Uint8Array } | null> {
    const slot = this.#slot(key)
    const bytes = await this.#deps.storage.get('data', slot.storageKey)
    return bytes === undefined ? null : openClockWithDigest(bytes, { ns: 'data', key }, this.#deps)
  }

  digest (key: Key): Uint8Array | null {
    const slot = this.#slot(key)
    return this.#trees.get(slot.partition)?.get(key, slot.hash) ?? null
  }

  async getMany (keys: readonly Key[]): Promise<Array<DvvSet | null>> {
    const values = await this.#deps.storage.getMany('data', keys.map(dataKey))
    return values.map((bytes, i) => (bytes === undefined ? null : openClock(bytes, { ns: 'data', key: keys[i] as Key }, this.#deps)))
  }

  merge (key: Key, clock: DvvSet): Promise<DvvSet> {
    return this.apply(key, (current) => (current === null ? clock : sync(current, clock)))
  }

  apply (key: Key, fn: (current: DvvSet | null) => DvvSet, onStaged?: (next: DvvSet) => void): Promise<DvvSet> {
    // Decided now, synchronously: a close() from here on waits for this write.
    const staged = onStaged !== undefined && this.#stages() && !this.#closing
    const done = this.#lock.run(key, async () => {
      if (this.#mustBump) await this.#bumpAfterFailedWrite()
      const slot = this.#slot(key)
      const { clock: current, corrupt } = await this.#read(slot)
      // Our own dots of this key may have been in the lost record: never mint on top of it.
      if (corrupt) await this.#bumpEpoch([])
      const next = this.#normalize(key, fn(current))
      if (current !== null && clockEqual(current, next)) return current
      if (!staged) {
        await this.#persist([[slot, next]])
        onStaged?.(next)
        return next
      }
      const write = this.#persist([[slot, next]])
      onStaged(next)
      try {
        await write
      } catch (error) {
        // The version may be at a replica already, its dot unknown to our disk.
        this.#mustBump = true
        throw error
      }
      return next
    })
    if (staged) {
      this.#staged.add(done)
      const forget = (): void => { this.#staged.delete(done) }
      done.then(forget, forget)
    }
    return done
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
      const changed: Array<[KeySlot, DvvSet]> = []
      slots.forEach((slot, i) => {
        const { key } = slot
        const bytes = stored[i]
        const current = bytes === undefined ? null : openClock(bytes, { ns: 'data', key }, this.#deps)
        if (bytes !== undefined && current === null) corrupt = true
        const clock = incoming.get(key) as DvvSet
        const next = this.#normalize(key, current === null ? clock : sync(current, clock))
        if (current === null || !clockEqual(current, next)) changed.push([slot, next])
      })
      if (corrupt) await this.#bumpEpoch([])
      if (changed.length > 0) await this.#persist(changed)
    })
  }

  dropIfUnchanged (key: Key, expected: DvvSet): Promise<boolean> {
    return this.#lock.run(key, async () => {
      const slot = this.#slot(key)
      const { clock: current } = await this.#read(slot)
      if (current === null || !clockEqual(current, expected)) return false
      const remove: StorageOp = { ns: 'data', key: slot.storageKey, value: null }
      // Only a clock holding dots of the current actor forces a new epoch (see the file
      // comment): dropping anything else cannot make this actor reuse a dot, and bumping on
      // every drop would add a fresh actor entry to every clock this peer writes afterwards.
      const actor = this.actor()
      if (current.entries.some((entry) => entry.actor === actor)) await this.#bumpEpoch([remove])
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
      const clock = openClock(bytes, { ns: 'data', key }, this.#deps)
      if (clock !== null) yield [key, clock] as const
    }
  }

  #slot (key: Key): KeySlot {
    const hash = keyHash(key)
    return { key, storageKey: `${hashPrefixHex8(hash)}/${key}`, partition: partitionOfHash(hash, this.#deps.config.q), hash }
  }

  async #read (slot: KeySlot): Promise<ReadResult> {
    const bytes = await this.#deps.storage.get('data', slot.storageKey)
    if (bytes === undefined) return { clock: null, corrupt: false }
    const clock = openClock(bytes, { ns: 'data', key: slot.key }, this.#deps)
    return { clock, corrupt: clock === null }
  }

  /** LWW when configured for the key, then truncation that never drops our own actor. */
  #normalize (key: Key, clock: DvvSet): DvvSet {
    const { config } = this.#deps
    const resolved = config.lww(key) ? lww(clock) : clock
    // The common case has nothing to drop: skip truncate's copy of the clock.
    if (resolved.entries.length <= config.maxClockEntries) return resolved
    return truncate(resolved, config.maxClockEntries, [this.actor()])
  }

  async #persist (items: ReadonlyArray<readonly [KeySlot, DvvSet]>): Promise<void> {
    // One encoding per clock gives both the stored record and the Merkle digest.
    const sealed = items.map(([, clock]) => sealClockWithDigest(clock))
    await this.#deps.storage.write(items.map(([slot], i) => ({ ns: 'data' as const, key: slot.storageKey, value: sealed[i]!.sealed })))
    items.forEach(([slot], i) => this.tree(slot.partition).set(slot.key, sealed[i]!.digest, slot.hash))
  }

  /** After a failed staged write, before the next mint: once, even when many applies wait here. */
  async #bumpAfterFailedWrite (): Promise<void> {
    await this.#epochLock.run('epoch', async () => {
      if (!this.#mustBump) return
      const next = this.#epoch + 1
      await this.#deps.storage.write(epochOps(next))
      this.#epoch = next
      this.#mustBump = false
      this.#deps.log.warn('actor epoch bumped after a failed staged write', { actor: this.actor() })
    })
  }

  #stages (): boolean {
    return this.#deps.stagedMints === true
  }

  /** True when an intact clean-shutdown marker is stored. */
  async #loadCleanMarker (): Promise<boolean> {
    const bytes = await this.#deps.storage.get('meta', CLEAN_SHUTDOWN_KEY)
    if (bytes === undefined) return false
    try {
      openRecord(bytes)
      return true
    } catch {
      this.#deps.metrics.corruptRecords++
      this.#deps.log.error('corrupt clean-shutdown marker (treated as an unclean stop)')
      return false
    }
  }

  /** Persist epoch + 1 atomically with `ops`, then switch to it. */
  #bumpEpoch (ops: readonly StorageOp[]): Promise<void> {
    return this.#epochLock.run('epoch', async () => {
      const next = this.#epoch + 1
      await this.#deps.storage.write([...epochOps(next), ...ops])
      this.#epoch = next
      // Any bump moves past a failed staged write's epoch too (it was minted before this).
      this.#mustBump = false
      this.#deps.log.info('actor epoch bumped', { actor: this.actor() })
    })
  }

  /** The larger epoch of the copies that open cleanly; undefined when none is stored or none opens. */
  async #loadEpoch (): Promise<number | undefined> {
    const copies = await this.#deps.storage.getMany('meta', EPOCH_META_KEYS)
    const epochs: number[] = []
    for (const bytes of copies) {
      if (bytes === undefined) continue
      const epoch = decodeEpoch(bytes)
      if (epoch !== undefined) epochs.push(epoch)
      else {
        this.#deps.metrics.corruptRecords++
        this.#deps.log.error('corrupt actor epoch record')
      }
    }
    return epochs.length === 0 ? undefined : Math.max(...epochs)
  }
}

/** The marker's value: an empty sealed record (the seal tells a torn write from a marker). */
const CLEAN_MARKER = sealRecord(new Uint8Array(0))

function epochOps (epoch: number): StorageOp[] {
  const value = sealRecord(new TextEncoder().encode(String(epoch)))
  return EPOCH_META_KEYS.map((key) => ({ ns: 'meta' as const, key, value }))
}

function decodeEpoch (bytes: Uint8Array): number | undefined {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(openRecord(bytes))
    return /^[1-9][0-9]{0,15}$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : undefined
  } catch {
    return undefined
  }
}
