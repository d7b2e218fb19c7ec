/**
 * Live updates, where a change is seen: a ReplicaStore that reports every version it made
 * durable for a watched key, whatever wrote it (a put coordinated here, replica-put, read
 * repair, anti-entropy, hand-off, a client's write), and the notifier that pushes it.
 *
 * A member pushes the stored version to each peer watching the key here
 * (watch-registry.ts) with `watch-event`, once per change, without waiting: a watcher that
 * is slow or gone costs one request that times out, never the write. A peer that watches
 * keys itself (coordinator/watches.ts) also hears of its own changes, so a listener sees
 * local writes as well as remote ones.
 */
import type { DvvSet, Key, MerkleTree } from '@ringstore/core'
import type { ReplicaStore, Staged } from '../components.js'
import type { Clock, Logger } from '../interfaces.js'
import { askWatchEvent } from '../protocol/watch-event.js'
import type { PeerRpc } from '../protocol/rpc.js'
import type { WatchRegistry } from './watch-registry.js'

export interface WatchNotifierDeps {
  readonly registry: Pick<WatchRegistry, 'isWatched' | 'watchersOf'>
  /** This peer's own listeners (coordinator/watches.ts). */
  readonly local: { isWatched(key: Key): boolean, changed(key: Key, clock: DvvSet): void }
  readonly rpc: PeerRpc
  readonly clock: Pick<Clock, 'now'>
  readonly log: Logger
}

export class WatchNotifier {
  readonly #deps: WatchNotifierDeps
  /** Pushes sent and failed (for status). */
  pushed = 0
  failed = 0

  constructor (deps: WatchNotifierDeps) {
    this.#deps = deps
  }

  isWatched (key: Key): boolean {
    return this.#deps.registry.isWatched(key) || this.#deps.local.isWatched(key)
  }

  /** `clock` is now the durable version of `key` here. */
  changed (key: Key, clock: DvvSet): void {
    if (this.#deps.local.isWatched(key)) this.#deps.local.changed(key, clock)
    for (const watcher of this.#deps.registry.watchersOf(key, this.#deps.clock.now())) {
      this.pushed++
      askWatchEvent(this.#deps.rpc, watcher, key, clock).catch((error: unknown) => {
        this.failed++
        this.#deps.log.debug('watch event not delivered', { watcher, key: key.slice(0, 80), error: String(error) })
      })
    }
  }
}

/** `inner`, reporting each version it makes durable for a watched key to `notifier`. */
export class NotifyingReplicaStore implements ReplicaStore {
  readonly #inner: ReplicaStore
  readonly #notifier: Pick<WatchNotifier, 'isWatched' | 'changed'>

  constructor (inner: ReplicaStore, notifier: Pick<WatchNotifier, 'isWatched' | 'changed'>) {
    this.#inner = inner
    this.#notifier = notifier
  }

  async merge (key: Key, clock: DvvSet): Promise<DvvSet> {
    const stored = await this.#inner.merge(key, clock)
    if (this.#notifier.isWatched(key)) this.#notifier.changed(key, stored)
    return stored
  }

  async mergeMany (items: ReadonlyArray<readonly [Key, DvvSet]>): Promise<void> {
    await this.#inner.mergeMany(items)
    const watched = items.filter(([key]) => this.#notifier.isWatched(key)).map(([key]) => key)
    if (watched.length === 0) return
    const stored = await this.#inner.getMany(watched)
    watched.forEach((key, i) => {
      const clock = stored[i]
      if (clock !== null && clock !== undefined) this.#notifier.changed(key, clock)
    })
  }

  async stage<T extends { readonly next: DvvSet }>(key: Key, fn: (current: DvvSet | null, actor: string) => T): Promise<Staged<T>> {
    const staged = await this.#inner.stage(key, fn)
    if (this.#notifier.isWatched(key)) {
      void staged.durable.then((durable) => { if (durable) this.#notifier.changed(key, staged.clock) })
    }
    return staged
  }

  open (): Promise<void> { return this.#inner.open() }
  get (key: Key): Promise<DvvSet | null> { return this.#inner.get(key) }
  getWithDigest (key: Key): Promise<{ readonly clock: DvvSet, readonly digest: Uint8Array } | null> { return this.#inner.getWithDigest(key) }
  digest (key: Key): Uint8Array | null { return this.#inner.digest(key) }
  getMany (keys: readonly Key[]): Promise<Array<DvvSet | null>> { return this.#inner.getMany(keys) }
  close (): Promise<void> { return this.#inner.close() }
  actor (): string { return this.#inner.actor() }
  dropIfUnchanged (key: Key, expected: DvvSet): Promise<boolean> { return this.#inner.dropIfUnchanged(key, expected) }
  tree (partition: number): MerkleTree { return this.#inner.tree(partition) }
  partitions (): number[] { return this.#inner.partitions() }
  keysInPartition (partition: number): AsyncIterable<readonly [Key, DvvSet]> { return this.#inner.keysInPartition(partition) }
  size (): number { return this.#inner.size() }
}
