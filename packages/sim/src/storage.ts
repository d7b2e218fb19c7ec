/**
 * Simulated storage with crash semantics.
 *
 * A `SimDisk` is what survives a crash: one sorted map per namespace. A `SimStorage` is one
 * process's view of a disk (the engine's `Storage`). A write becomes durable after a
 * simulated fsync delay (a scheduler event) and only then is applied (atomically, in the
 * order writes were issued) and resolves. `crash()` kills the view: writes not yet durable
 * are dropped, and every pending or later call on the dead view never settles, as for a
 * process that no longer exists. A restarted peer opens a new view over the same disk.
 */
import { equalBytes } from '@ringstore/core'
import { InvalidStorageOpError, StorageClosedError } from '@ringstore/peer'
import type { Namespace, ScanOptions, Storage, StorageOp } from '@ringstore/peer'
import { DEFAULT_STORAGE_FSYNC_MS } from './constants.js'
import type { EventHandle, Scheduler } from './scheduler.js'

const NAMESPACES: readonly Namespace[] = ['data', 'hints', 'meta']

/** String-ordered map (JavaScript `<` on strings, i.e. UTF-16 code units, as the contract says). */
export class SortedMap {
  private readonly keys: string[] = []
  private readonly values = new Map<string, Uint8Array>()

  get size (): number { return this.keys.length }

  get (key: string): Uint8Array | undefined { return this.values.get(key) }

  set (key: string, value: Uint8Array): void {
    if (!this.values.has(key)) this.keys.splice(this.lowerBound(key), 0, key)
    this.values.set(key, value)
  }

  delete (key: string): void {
    if (!this.values.delete(key)) return
    this.keys.splice(this.lowerBound(key), 1)
  }

  /** Entries with gte ≤ key < lt, in key order, at most `limit`. */
  range (options: ScanOptions = {}): Array<readonly [string, Uint8Array]> {
    const start = options.gte === undefined ? 0 : this.lowerBound(options.gte)
    const limit = options.limit ?? Infinity
    const out: Array<readonly [string, Uint8Array]> = []
    for (let i = start; i < this.keys.length && out.length < limit; i++) {
      const key = this.keys[i] as string
      if (options.lt !== undefined && !(key < options.lt)) break
      out.push([key, this.values.get(key) as Uint8Array])
    }
    return out
  }

  /** First index whose key is ≥ `key`. */
  private lowerBound (key: string): number {
    let lo = 0
    let hi = this.keys.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if ((this.keys[mid] as string) < key) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}

/** The durable state of one peer: survives crashes and restarts. */
export class SimDisk {
  private readonly maps = new Map<Namespace, SortedMap>(NAMESPACES.map((ns) => [ns, new SortedMap()]))

  namespace (ns: Namespace): SortedMap {
    const map = this.maps.get(ns)
    if (map === undefined) throw new InvalidStorageOpError(`unknown namespace ${JSON.stringify(ns)}`)
    return map
  }

  /** Apply a batch atomically (called when it becomes durable). */
  apply (ops: readonly StorageOp[]): void {
    for (const op of ops) {
      const map = this.namespace(op.ns)
      if (op.value === null) map.delete(op.key)
      else map.set(op.key, op.value)
    }
  }

  /** Number of keys in a namespace (for tests and summaries). */
  size (ns: Namespace): number {
    return this.namespace(ns).size
  }
}

export interface SimStorageOptions {
  /** Simulated fsync latency of one write, in virtual ms (drawn per write). */
  readonly fsyncDelayMs?: () => number
  /**
   * A disk whose write cache lies: writes resolve at once but become durable only after the
   * fsync delay, so a crash loses acknowledged data. A fault for proving that the checker
   * notices lost writes, never a correct configuration.
   */
  readonly lyingFsync?: boolean
}

/** Why the Storage contract refuses `op`, or undefined when it is valid. */
function invalidOp (op: StorageOp): string | undefined {
  if (!NAMESPACES.includes(op.ns)) return `unknown namespace ${JSON.stringify(op.ns)}`
  if (typeof op.key !== 'string') return `key must be a string, got ${typeof op.key}`
  if (op.value !== null && !(op.value instanceof Uint8Array)) return 'value must be a Uint8Array or null'
  return undefined
}

/** A promise that never settles: what a call on a dead process's storage returns. */
function never<T> (): Promise<T> {
  return new Promise<T>(() => {})
}

/**
 * The disk's copy of a written buffer. Reads hand out copies, so one copy can back every
 * disk a buffer was written to: the engine writes the same member-record bytes on every
 * peer that holds the record (peer member-persist.ts), S² values in an S-peer run. A
 * buffer changed after its write gets a fresh copy (the bytes are compared).
 */
function diskCopy (value: Uint8Array): Uint8Array {
  return copyOnce(diskCopies, value)
}

const diskCopies = new WeakMap<Uint8Array, Uint8Array>()

/** The copy of `value` held in `copies`, made (again) when there is none or `value`'s bytes changed since. */
function copyOnce (copies: WeakMap<Uint8Array, Uint8Array>, value: Uint8Array): Uint8Array {
  const held = copies.get(value)
  if (held !== undefined && equalBytes(held, value)) return held
  const copy = value.slice()
  copies.set(value, copy)
  return copy
}

/**
 * A copy of a stored 'meta' buffer, one for every reader of it while its bytes are
 * unchanged. Every peer of a cluster holds the same member records (diskCopy), and every
 * peer loads them when it starts: handed one buffer, the engine decodes each stored record
 * once for all of them (peer's member-persist.ts loadMembers), S records, not S², at a
 * warm start (warm-start.ts). The engine only decodes what it reads, never changes it; a
 * copy found changed is replaced, so the disk and later readers still get the stored bytes.
 */
function sharedReadCopy (value: Uint8Array): Uint8Array {
  return copyOnce(readCopies, value)
}

const readCopies = new WeakMap<Uint8Array, Uint8Array>()

export class SimStorage implements Storage {
  private dead = false
  private closed = false
  /** Virtual time at which the last issued write becomes durable: writes apply in order. */
  private lastDurableAt = 0
  private readonly inFlight = new Map<EventHandle, () => void>()
  private readonly fsyncDelayMs: () => number
  private readonly lying: boolean

  constructor (readonly disk: SimDisk, private readonly scheduler: Scheduler, options: SimStorageOptions = {}) {
    this.fsyncDelayMs = options.fsyncDelayMs ?? (() => DEFAULT_STORAGE_FSYNC_MS)
    this.lying = options.lyingFsync ?? false
  }

  async get (ns: Namespace, key: string): Promise<Uint8Array | undefined> {
    await this.usable()
    const value = this.disk.namespace(ns).get(key)
    return value === undefined ? undefined : value.slice()
  }

  async getMany (ns: Namespace, keys: readonly string[]): Promise<Array<Uint8Array | undefined>> {
    await this.usable()
    const map = this.disk.namespace(ns)
    return keys.map((key) => map.get(key)?.slice())
  }

  /** Not `async`: the write must take its place in the fsync queue at the moment it is issued. */
  write (ops: readonly StorageOp[]): Promise<void> {
    if (this.dead) return never()
    if (this.closed) return Promise.reject(new StorageClosedError())
    // Copy now: the caller may reuse its buffers, and the disk must hold what was written.
    const batch: StorageOp[] = []
    for (const op of ops) {
      const invalid = invalidOp(op)
      if (invalid !== undefined) return Promise.reject(new InvalidStorageOpError(invalid))
      batch.push({ ns: op.ns, key: op.key, value: op.value === null ? null : diskCopy(op.value) })
    }
    const durableAt = Math.max(this.lastDurableAt, this.scheduler.now + Math.max(0, this.fsyncDelayMs()))
    this.lastDurableAt = durableAt
    return new Promise<void>((resolve) => {
      const handle = this.scheduler.schedule(durableAt - this.scheduler.now, () => {
        this.inFlight.delete(handle)
        this.disk.apply(batch)
        if (!this.lying) resolve()
      })
      this.inFlight.set(handle, resolve)
      if (this.lying) resolve()
    })
  }

  async * scan (ns: Namespace, options?: ScanOptions): AsyncIterable<readonly [string, Uint8Array]> {
    await this.usable()
    // A snapshot of the range: writes landing during the scan do not disturb it.
    for (const [key, value] of this.disk.namespace(ns).range(options)) {
      yield [key, ns === 'meta' ? sharedReadCopy(value) : value.slice()] as const
    }
  }

  async close (): Promise<void> {
    if (this.dead) return never()
    if (this.closed) return
    // Flush: wait until every issued write is durable.
    const until = this.lastDurableAt
    if (until > this.scheduler.now) {
      await new Promise<void>((resolve) => this.scheduler.schedule(until - this.scheduler.now, resolve))
    }
    this.closed = true
  }

  /** The process died: drop writes not yet durable; this view never answers again. */
  crash (): void {
    this.dead = true
    for (const handle of this.inFlight.keys()) this.scheduler.cancel(handle)
    this.inFlight.clear()
  }

  /** Writes issued but not yet durable. */
  pendingWrites (): number {
    return this.inFlight.size
  }

  private async usable (): Promise<void> {
    if (this.dead) return never()
    if (this.closed) throw new StorageClosedError()
  }
}
