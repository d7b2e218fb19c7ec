/**
 * The hint store's in-memory index (data/hint-store.ts): per target, each pending hint's
 * size and the time it was first stored, with running byte and count totals. Built by one
 * scan in open() and kept current by every add and delete, so that the quota check, the
 * status figures and the expiry pass never touch storage.
 */
import type { PeerId } from '@ringstore/core'

/** What the index knows of one stored hint. */
export interface HintMeta {
  /** Bytes it takes in storage: its storage key (UTF-8) plus its stored record. */
  readonly bytes: number
  /** This peer's clock (ms) when the hint was first stored. */
  readonly storedAt: number
}

interface TargetHints {
  readonly keys: Map<string, HintMeta>
  bytes: number
}

export class HintIndex {
  readonly #targets = new Map<PeerId, TargetHints>()
  #bytes = 0
  #count = 0

  clear (): void {
    this.#targets.clear()
    this.#bytes = 0
    this.#count = 0
  }

  get (target: PeerId, storageKey: string): HintMeta | undefined {
    return this.#targets.get(target)?.keys.get(storageKey)
  }

  has (target: PeerId): boolean {
    return this.#targets.has(target)
  }

  /** Records (or, with undefined, forgets) the hint `storageKey` of `target`. */
  set (target: PeerId, storageKey: string, meta: HintMeta | undefined): void {
    let hints = this.#targets.get(target)
    const previous = hints?.keys.get(storageKey)
    if (meta === undefined) {
      if (hints === undefined || previous === undefined) return
      hints.keys.delete(storageKey)
      this.#adjust(hints, -previous.bytes, -1)
      if (hints.keys.size === 0) this.#targets.delete(target)
      return
    }
    if (hints === undefined) {
      hints = { keys: new Map(), bytes: 0 }
      this.#targets.set(target, hints)
    }
    hints.keys.set(storageKey, meta)
    this.#adjust(hints, meta.bytes - (previous?.bytes ?? 0), previous === undefined ? 1 : 0)
  }

  /** Targets with at least one hint, sorted. */
  targets (): PeerId[] {
    return [...this.#targets.keys()].sort()
  }

  count (): number {
    return this.#count
  }

  countFor (target: PeerId): number {
    return this.#targets.get(target)?.keys.size ?? 0
  }

  bytes (): number {
    return this.#bytes
  }

  bytesFor (target: PeerId): number {
    return this.#targets.get(target)?.bytes ?? 0
  }

  /** Per target, the storage keys of the hints first stored before `cutoff`. */
  storedBefore (cutoff: number): Array<readonly [PeerId, string[]]> {
    const out: Array<readonly [PeerId, string[]]> = []
    for (const [target, hints] of this.#targets) {
      const keys: string[] = []
      for (const [storageKey, meta] of hints.keys) if (meta.storedAt < cutoff) keys.push(storageKey)
      if (keys.length > 0) out.push([target, keys])
    }
    return out
  }

  #adjust (hints: TargetHints, bytes: number, count: number): void {
    hints.bytes += bytes
    this.#bytes += bytes
    this.#count += count
  }
}
