/**
 * Live updates, a member's side: who watches which keys here (`client-watch`), so that a
 * new version of a watched key is pushed to its watchers at once (`watch-event`,
 * watch-notifier.ts) instead of being polled for.
 *
 * Every bound a visitor could push on is here, each named in the error it gets:
 * - a watcher states all its keys here at once, at most `maxKeysPerWatcher`;
 * - at most `maxWatchers` peers watch here at once; past it a new one is refused (an
 *   existing one may always renew);
 * - a watch is a lease of `leaseMs`: a watcher that stops renewing (a closed tab) is
 *   forgotten, so nothing here outlives its visitor. Nothing is persisted: after a restart
 *   the watchers' next renewal restores their watches.
 * Memory: at most maxWatchers × maxKeysPerWatcher entries (10,000 × 64 by default).
 */
import type { Key, PeerId } from '@ringstore/core'

export interface WatchLimits {
  readonly maxKeysPerWatcher: number
  readonly maxWatchers: number
  readonly leaseMs: number
}

/** A watch request past one of the registry's bounds. */
export class WatchLimitError extends Error {
  static override name = 'WatchLimitError'
  override name = 'WatchLimitError'
}

interface Watcher {
  keys: ReadonlySet<Key>
  expiresAt: number
}

export class WatchRegistry {
  readonly #limits: WatchLimits
  readonly #watchers = new Map<PeerId, Watcher>()
  readonly #byKey = new Map<Key, Set<PeerId>>()
  #sweptAt = -Infinity

  constructor (limits: WatchLimits) {
    this.#limits = limits
  }

  /** `watcher` watches exactly `keys` here from `now` for a lease; an empty list ends its watch. */
  renew (watcher: PeerId, keys: readonly Key[], now: number): void {
    const wanted = new Set(keys)
    if (wanted.size > this.#limits.maxKeysPerWatcher) {
      throw new WatchLimitError(`a peer may watch at most ${this.#limits.maxKeysPerWatcher} keys at one member; asked for ${wanted.size}`)
    }
    this.#expire(now)
    const held = this.#watchers.get(watcher)
    if (held === undefined && wanted.size > 0 && this.#watchers.size >= this.#limits.maxWatchers) this.#expire(now, true)
    if (held === undefined && wanted.size > 0 && this.#watchers.size >= this.#limits.maxWatchers) {
      throw new WatchLimitError(`this member serves ${this.#limits.maxWatchers} watchers, its limit: try another replica of the key, or later`)
    }
    if (held !== undefined) this.#unindex(watcher, held.keys)
    if (wanted.size === 0) {
      this.#watchers.delete(watcher)
      return
    }
    this.#watchers.set(watcher, { keys: wanted, expiresAt: now + this.#limits.leaseMs })
    for (const key of wanted) {
      let set = this.#byKey.get(key)
      if (set === undefined) {
        set = new Set()
        this.#byKey.set(key, set)
      }
      set.add(watcher)
    }
  }

  /** Who watches `key` now (their leases unexpired). */
  watchersOf (key: Key, now: number): PeerId[] {
    const set = this.#byKey.get(key)
    if (set === undefined) return []
    const out: PeerId[] = []
    for (const peer of set) {
      const watcher = this.#watchers.get(peer)
      if (watcher !== undefined && watcher.expiresAt > now) out.push(peer)
    }
    return out
  }

  /** Whether anyone (perhaps expired) watches `key`: the cheap test before any work. */
  isWatched (key: Key): boolean {
    return this.#byKey.has(key)
  }

  /** Peers watching here, and keys watched (for status). */
  get size (): { readonly watchers: number, readonly keys: number } {
    return { watchers: this.#watchers.size, keys: this.#byKey.size }
  }

  /**
   * Forgets every lease expired at `now`; a full sweep at most every quarter lease, so a
   * renewal costs O(its keys), not O(watchers) (watchersOf skips expired ones meanwhile).
   */
  #expire (now: number, force = false): void {
    if (!force && now - this.#sweptAt < this.#limits.leaseMs / 4) return
    this.#sweptAt = now
    for (const [peer, watcher] of this.#watchers) {
      if (watcher.expiresAt > now) continue
      this.#watchers.delete(peer)
      this.#unindex(peer, watcher.keys)
    }
  }

  #unindex (watcher: PeerId, keys: ReadonlySet<Key>): void {
    for (const key of keys) {
      const set = this.#byKey.get(key)
      if (set === undefined) continue
      set.delete(watcher)
      if (set.size === 0) this.#byKey.delete(key)
    }
  }
}
