/**
 * Live updates, the watcher's side: `Peer.watch(key, listener)`. The peer tells each
 * member of the key's preference list that it watches the key (`client-watch`, a lease
 * with all its keys at that member), and every member that stores a new version pushes it
 * (`watch-event`): the version is merged into the local replica and the listeners hear
 * of it. Writes made here reach the listeners too (watch-notifier.ts). No polling: the
 * only periodic work is the lease renewal, one small request per member every
 * `watchRenewMs`, and at once when a member becomes reachable again (a reconnect) or the
 * ring changes, so watches come back by themselves after an outage.
 *
 * Nothing pushed is lost for good: each renewal's answer carries the member's digest of
 * every watched key it stores, and the peer remembers the digest of the last version it
 * heard from that member (pushed or fetched). A key whose digests differ was missed (a push
 * lost on a flaky link, or while the member was out of reach) and is fetched from that
 * member, so a lost push costs at most one renewal period.
 *
 * Bounded: at most `maxWatchedKeys` keys watched by one peer (WatchLimitError past it),
 * and a member keeps at most its own bounds (watch-registry.ts).
 */
import { clockDigest, packDigest, sync } from '@ringstore/core'
import type { DvvSet, Key, PeerId, VersionVector } from '@ringstore/core'
import type { FailureDetector, MembershipView, ReplicaStore } from '../components.js'
import { PeriodicTask } from '../cluster/timers.js'
import { WatchLimitError } from '../cluster/watch-registry.js'
import type { Clock, Logger } from '../interfaces.js'
import { askClientWatch } from '../protocol/client-watch.js'
import type { PeerRpc } from '../protocol/rpc.js'
import type { WatchSink } from '../protocol/watch-event.js'
import { placeKey } from './placement.js'
import { readAnswer } from './get-core.js'

/** What a listener hears: the key's versions as this peer now holds them. */
export interface WatchChange {
  readonly key: Key
  /** Live values (concurrent siblings), tombstones left out: empty when deleted. */
  readonly values: Uint8Array[]
  /** The context to write back with (supersedes exactly these values). */
  readonly context: VersionVector
}

export type WatchListener = (change: WatchChange) => void

export interface WatchesDeps {
  readonly id: PeerId
  readonly config: { readonly n: number, readonly maxWatchedKeys: number, readonly watchRenewMs: number }
  readonly clock: Clock
  readonly rpc: PeerRpc
  readonly membership: Pick<MembershipView, 'ring'>
  readonly detector: Pick<FailureDetector, 'isReachable' | 'onReachable'>
  /**
   * The local replica, as the notifier wraps it: a light peer (a tab) merges a pushed
   * version there, which keeps its offline copy current and tells the listeners. A member
   * does not: a key it does not own would only be handed off again (cluster/transfer.ts),
   * so its listeners hear the pushed version directly.
   */
  readonly replicas: () => Pick<ReplicaStore, 'get' | 'merge' | 'digest'>
  readonly keepsPushedVersions: boolean
  /** One replica's version of a key (replica-access.ts): what a watcher missed while a member was out of reach. */
  readonly fetch: (peer: PeerId, key: Key) => Promise<DvvSet | null>
  readonly log: Logger
}

export class Watches implements WatchSink {
  readonly #deps: WatchesDeps
  readonly #listeners = new Map<Key, Set<WatchListener>>()
  /** The context each watched key's listeners last heard (see changed). */
  readonly #lastSeen = new Map<Key, string>()
  /** Keys last told to each member (sorted, joined): an unchanged set is still renewed, a member no longer concerned gets []. */
  readonly #told = new Map<PeerId, string>()
  /** Per member, the digest (packed) of the last version of each watched key heard from it. */
  readonly #heard = new Map<PeerId, Map<Key, string>>()
  readonly #renewal: PeriodicTask
  #offReachable: (() => void) | undefined
  #renewing: Promise<void> = Promise.resolve()

  constructor (deps: WatchesDeps) {
    this.#deps = deps
    this.#renewal = new PeriodicTask(deps.clock, deps.config.watchRenewMs, async () => { await this.renew() })
  }

  start (): void {
    this.#renewal.start()
    // A member reachable again (a reconnect, a healed partition) is told our watches at once;
    // the answer's digests say what we missed while it was out of reach (#renewOnce).
    this.#offReachable = this.#deps.detector.onReachable(() => { if (this.#listeners.size > 0) void this.renew() })
  }

  stop (): void {
    this.#renewal.stop()
    this.#offReachable?.()
  }

  /** Calls `listener` on every new version of `key` from now on; returns the unsubscribe. */
  watch (key: Key, listener: WatchListener): () => void {
    let set = this.#listeners.get(key)
    if (set === undefined) {
      if (this.#listeners.size >= this.#deps.config.maxWatchedKeys) {
        throw new WatchLimitError(`a peer watches at most ${this.#deps.config.maxWatchedKeys} keys (maxWatchedKeys); unwatch one first`)
      }
      set = new Set()
      this.#listeners.set(key, set)
      void this.renew()
    }
    set.add(listener)
    return () => {
      const current = this.#listeners.get(key)
      if (current === undefined || !current.delete(listener) || current.size > 0) return
      this.#listeners.delete(key)
      this.#lastSeen.delete(key)
      for (const heard of this.#heard.values()) heard.delete(key)
      void this.renew()
    }
  }

  isWatched (key: Key): boolean {
    return this.#listeners.has(key)
  }

  /** Keys watched here now. */
  keys (): Key[] {
    return [...this.#listeners.keys()].sort()
  }

  /** `clock` is now this peer's version of `key`: tell its listeners, unless they heard of this very version. */
  changed (key: Key, clock: DvvSet): void {
    const listeners = this.#listeners.get(key)
    if (listeners === undefined) return
    const answer = readAnswer(clock)
    // The same version again (another replica's push, a merge that added nothing): once is enough.
    const seen = JSON.stringify(answer.context)
    if (this.#lastSeen.get(key) === seen) return
    this.#lastSeen.set(key, seen)
    const change: WatchChange = { key, values: answer.values, context: answer.context }
    for (const listener of [...listeners]) {
      try {
        listener(change)
      } catch (error) {
        this.#deps.log.warn('a watch listener threw', { key: key.slice(0, 80), error: String(error) })
      }
    }
  }

  /** A member pushed its version of a key we watch (watch-event): merged here, which tells the listeners. */
  async deliver (key: Key, clock: DvvSet, from: PeerId): Promise<void> {
    if (!this.#listeners.has(key)) return
    this.#hear(from, key, packDigest(clockDigest(clock)))
    await this.#take(key, clock)
  }

  #hear (member: PeerId, key: Key, digest: string): void {
    let heard = this.#heard.get(member)
    if (heard === undefined) {
      heard = new Map()
      this.#heard.set(member, heard)
    }
    heard.set(key, digest)
  }

  async #take (key: Key, clock: DvvSet): Promise<void> {
    if (!this.#listeners.has(key)) return
    if (!this.#deps.keepsPushedVersions) {
      this.changed(key, clock)
      return
    }
    // The listeners hear the merge at once; the local copy is written after (its durable
    // write, an fsync, doubled the time from a write to the listener). The store's own
    // report of that write repeats this version, which `changed` drops as already heard.
    const local = await this.#deps.replicas().get(key).catch(() => null)
    this.changed(key, local === null ? clock : sync(local, clock))
    await this.#deps.replicas().merge(key, clock)
  }

  /** Fetch `member`'s version of `key` (we missed a push of it) and take it as if pushed. */
  async #catchUp (member: PeerId, key: Key): Promise<void> {
    try {
      const clock = await this.#deps.fetch(member, key)
      if (clock === null || !this.#listeners.has(key)) return
      this.#hear(member, key, packDigest(clockDigest(clock)))
      await this.#take(key, clock)
    } catch (error) {
      this.#deps.log.debug('watch catch-up failed', { member, key: key.slice(0, 80), error: String(error) })
    }
  }

  /**
   * The keys among `digests` (a renewal's answer from `member`) whose version there is not
   * the last one heard from it (none, if it held none). The first time a key is renewed at
   * a member nothing was heard from it yet: a peer that keeps its own copy compares with
   * that copy, one that does not takes the member's version as the one heard (a watch does
   * not replay the current value; `get` reads it).
   */
  #missed (member: PeerId, keys: readonly Key[], digests: ReadonlyMap<Key, Uint8Array>): Key[] {
    const heard = this.#heard.get(member)
    const kept = new Set(keys)
    if (heard !== undefined) for (const key of heard.keys()) if (!kept.has(key)) heard.delete(key)
    const missed: Key[] = []
    for (const key of keys) {
      const digest = digests.get(key)
      if (digest === undefined) {
        // The member holds none: any version it holds later was missed unless heard.
        this.#hear(member, key, NONE)
        continue
      }
      const packed = packDigest(digest)
      const last = heard?.get(key)
      if (last === packed) continue
      if (last === undefined) {
        const local = this.#deps.keepsPushedVersions ? this.#deps.replicas().digest(key) : digest
        if (local !== null && packDigest(local) === packed) {
          this.#hear(member, key, packed)
          continue
        }
      }
      missed.push(key)
    }
    return missed
  }

  /**
   * Tells each member the keys we watch there: those whose preference list holds it. One
   * renewal at a time; a member that does not answer is told again on the next one or when
   * it is reachable again.
   */
  renew (): Promise<void> {
    this.#renewing = this.#renewing.then(async () => { await this.#renewOnce() }, async () => { await this.#renewOnce() })
    return this.#renewing
  }

  async #renewOnce (): Promise<void> {
    const byMember = new Map<PeerId, Key[]>()
    for (const key of this.#listeners.keys()) {
      for (const member of placeKey(this.#deps, key, this.#deps.config.n).preference) {
        if (member === this.#deps.id) continue
        const keys = byMember.get(member) ?? []
        keys.push(key)
        byMember.set(member, keys)
      }
    }
    for (const member of this.#told.keys()) if (!byMember.has(member)) byMember.set(member, [])
    await Promise.all([...byMember].map(async ([member, keys]) => {
      if (!this.#deps.detector.isReachable(member)) {
        // Told again once it is back (onReachable).
        return
      }
      keys.sort()
      let missed: Key[] = []
      try {
        missed = this.#missed(member, keys, await askClientWatch(this.#deps.rpc, member, keys))
        if (keys.length === 0) {
          this.#told.delete(member)
          this.#heard.delete(member)
        } else {
          this.#told.set(member, keys.join('\u0000'))
        }
      } catch (error) {
        this.#deps.log.debug('watch renewal failed', { member, keys: keys.length, error: String(error) })
      }
      await Promise.all(missed.map(async (key) => { await this.#catchUp(member, key) }))
    }))
  }
}

/** What `#heard` holds for a key the member had no version of at its last renewal. */
const NONE = ''
