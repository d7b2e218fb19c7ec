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
 */
import {
  MerkleTree, clockDigest, clockEqual, hashPrefixUint32, keyHash, lww, openRecord, partitionOfHash, partitionRange, sealRecord,
  sync, truncate
} from '@ringstore/core'
import type { DvvSet, Key } from '@ringstore/core'
import type { ReplicaStore } from './components.js'
import type { PeerConfig } from './config.js'
import type { Logger, Storage, StorageOp } from './interfaces.js'
import { KeyedLock } from './keyed-lock.js'
import type { PeerMetrics } from './metrics.js'
import { openClock, sealClock } from './stored-clock.js'

/**
 * Meta keys of the durable actor epoch: two sealed copies written in one atomic batch, so
 * one corrupt copy still leaves the epoch known (the stored clocks only give a lower
 * bound: a dropped key may have carried the latest epoch's dots away).
 */
export const EPOCH_META_KEYS = ['actor-epoch', 'actor-epoch-copy'] as const

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
}

/** The storage key of a user key in the `data` namespace. */
export function dataKey (key: Key): string {
  return `${hashPrefixHex8(keyHash(key))}/${key}`
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

  constructor (deps: ReplicaStoreDeps) {
    this.#deps = deps
  }

  /** Loads the epoch and rebuilds the Merkle trees from a full scan of the data. */
  async open (): Promise<void> {
    const { storage, id, log } = this.#deps
    this.#trees.clear()
    const stored = await this.#loadEpoch()
    let highestSeen = 0
    let corrupt = 0
    for await (const [storageKey, bytes] of storage.scan('data')) {
      const key = keyOfDataKey(storageKey)
      const clock = openClock(bytes, { ns: 'data', key }, this.#deps)
      if (clock === null) { corrupt++; continue }
      this.#treeOf(key).set(key, clockDigest(clock))
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
    if (stored === undefined) epoch = Math.max(epoch, Math.floor(this.#deps.now?.() ?? 0))
    epoch = Math.max(epoch, 1)
    if (epoch !== stored) await storage.write(epochOps(epoch))
    this.#epoch = epoch
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
    return (await this.#read(key)).clock
  }

  async getMany (keys: readonly Key[]): Promise<Array<DvvSet | null>> {
    const values = await this.#deps.storage.getMany('data', keys.map(dataKey))
    return values.map((bytes, i) => (bytes === undefined ? null : openClock(bytes, { ns: 'data', key: keys[i] as Key }, this.#deps)))
  }

  merge (key: Key, clock: DvvSet): Promise<DvvSet> {
    return this.apply(key, (current) => (current === null ? clock : sync(current, clock)))
  }

  apply (key: Key, fn: (current: DvvSet | null) => DvvSet): Promise<DvvSet> {
    return this.#lock.run(key, async () => {
      const { clock: current, corrupt } = await this.#read(key)
      // Our own dots of this key may have been in the lost record: never mint on top of it.
      if (corrupt) await this.#bumpEpoch([])
      const next = this.#normalize(key, fn(current))
      if (current !== null && clockEqual(current, next)) return current
      await this.#persist([[key, next]])
      return next
    })
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
      const stored = await this.#deps.storage.getMany('data', keys.map(dataKey))
      let corrupt = false
      const changed: Array<[Key, DvvSet]> = []
      keys.forEach((key, i) => {
        const bytes = stored[i]
        const current = bytes === undefined ? null : openClock(bytes, { ns: 'data', key }, this.#deps)
        if (bytes !== undefined && current === null) corrupt = true
        const clock = incoming.get(key) as DvvSet
        const next = this.#normalize(key, current === null ? clock : sync(current, clock))
        if (current === null || !clockEqual(current, next)) changed.push([key, next])
      })
      if (corrupt) await this.#bumpEpoch([])
      if (changed.length > 0) await this.#persist(changed)
    })
  }

  dropIfUnchanged (key: Key, expected: DvvSet): Promise<boolean> {
    return this.#lock.run(key, async () => {
      const { clock: current } = await this.#read(key)
      if (current === null || !clockEqual(current, expected)) return false
      const remove: StorageOp = { ns: 'data', key: dataKey(key), value: null }
      // Only a clock holding dots of the current actor forces a new epoch (see the file
      // comment): dropping anything else cannot make this actor reuse a dot, and bumping on
      // every drop would add a fresh actor entry to every clock this peer writes afterwards.
      const actor = this.actor()
      if (current.entries.some((entry) => entry.actor === actor)) await this.#bumpEpoch([remove])
      else await this.#deps.storage.write([remove])
      this.#treeOf(key).set(key, null)
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

  #treeOf (key: Key): MerkleTree {
    return this.tree(partitionOfHash(keyHash(key), this.#deps.config.q))
  }

  async #read (key: Key): Promise<ReadResult> {
    const bytes = await this.#deps.storage.get('data', dataKey(key))
    if (bytes === undefined) return { clock: null, corrupt: false }
    const clock = openClock(bytes, { ns: 'data', key }, this.#deps)
    return { clock, corrupt: clock === null }
  }

  /** LWW when configured for the key, then truncation that never drops our own actor. */
  #normalize (key: Key, clock: DvvSet): DvvSet {
    const { config } = this.#deps
    const resolved = config.lww(key) ? lww(clock) : clock
    return truncate(resolved, config.maxClockEntries, [this.actor()])
  }

  async #persist (items: ReadonlyArray<readonly [Key, DvvSet]>): Promise<void> {
    await this.#deps.storage.write(items.map(([key, clock]) => ({ ns: 'data' as const, key: dataKey(key), value: sealClock(clock) })))
    for (const [key, clock] of items) this.#treeOf(key).set(key, clockDigest(clock))
  }

  /** Persist epoch + 1 atomically with `ops`, then switch to it. */
  #bumpEpoch (ops: readonly StorageOp[]): Promise<void> {
    return this.#epochLock.run('epoch', async () => {
      const next = this.#epoch + 1
      await this.#deps.storage.write([...epochOps(next), ...ops])
      this.#epoch = next
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
