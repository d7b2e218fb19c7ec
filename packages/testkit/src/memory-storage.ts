/**
 * In-memory Storage for tests (the simulator has its own SimStorage, with fsync delays and
 * crashes). Each namespace is a sorted array of keys (binary search) beside a Map of
 * values, so point reads are O(1), writes O(log n) to find plus an array splice, and a scan
 * resumes after its last key by binary search, which keeps it correct under concurrent
 * writes without copying the namespace.
 *
 * "Durable" here means: held by the `MemoryDisk` behind the storage. `MemoryStorage.reopen`
 * opens a fresh handle over the same disk, which is how tests model a process that
 * restarted with its data intact.
 */
import { InvalidStorageOpError, StorageClosedError } from '@ringstore/peer'
import type { Namespace, ScanOptions, Storage, StorageOp } from '@ringstore/peer'

const NAMESPACES: readonly Namespace[] = ['data', 'hints', 'meta']

/** One namespace: keys kept sorted (code-unit order, as `<` compares strings). */
class SortedTable {
  readonly keys: string[] = []
  readonly values = new Map<string, Uint8Array>()

  /** Index of the first key ≥ `key` (or > `key` when `strict`). */
  lowerBound (key: string, strict = false): number {
    let lo = 0
    let hi = this.keys.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const k = this.keys[mid] as string
      if (k < key || (strict && k === key)) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  set (key: string, value: Uint8Array | null): void {
    const present = this.values.has(key)
    if (value === null) {
      if (!present) return
      this.values.delete(key)
      this.keys.splice(this.lowerBound(key), 1)
      return
    }
    if (!present) this.keys.splice(this.lowerBound(key), 0, key)
    this.values.set(key, value)
  }
}

/** The data behind one or more successive MemoryStorage handles (the "disk"). */
export class MemoryDisk {
  readonly tables: ReadonlyMap<Namespace, SortedTable> = new Map(NAMESPACES.map((ns) => [ns, new SortedTable()]))

  table (ns: Namespace): SortedTable {
    const table = this.tables.get(ns)
    if (table === undefined) throw new InvalidStorageOpError(`unknown namespace ${JSON.stringify(ns)}`)
    return table
  }

  /** Keys held in one namespace. */
  count (ns: Namespace): number {
    return this.table(ns).keys.length
  }
}

export class MemoryStorage implements Storage {
  readonly disk: MemoryDisk
  #closed = false

  constructor (disk: MemoryDisk = new MemoryDisk()) {
    this.disk = disk
  }

  /** A new handle over the data of `previous` (closed or not): a restart that kept its disk. */
  static reopen (previous: MemoryStorage): MemoryStorage {
    return new MemoryStorage(previous.disk)
  }

  async get (ns: Namespace, key: string): Promise<Uint8Array | undefined> {
    this.#checkOpen()
    return this.disk.table(ns).values.get(key)?.slice()
  }

  async getMany (ns: Namespace, keys: readonly string[]): Promise<Array<Uint8Array | undefined>> {
    this.#checkOpen()
    const values = this.disk.table(ns).values
    return keys.map((key) => values.get(key)?.slice())
  }

  async write (ops: readonly StorageOp[]): Promise<void> {
    this.#checkOpen()
    // Validate and copy everything first, then apply: a bad op leaves storage untouched.
    const prepared = ops.map((op) => {
      const table = this.disk.table(op.ns)
      if (typeof op.key !== 'string') throw new InvalidStorageOpError(`key must be a string, got ${typeof op.key}`)
      if (op.value !== null && !(op.value instanceof Uint8Array)) throw new InvalidStorageOpError('value must be a Uint8Array or null')
      return { table, key: op.key, value: op.value === null ? null : op.value.slice() }
    })
    for (const { table, key, value } of prepared) table.set(key, value)
  }

  async * scan (ns: Namespace, options: ScanOptions = {}): AsyncIterable<readonly [string, Uint8Array]> {
    this.#checkOpen()
    const table = this.disk.table(ns)
    const limit = options.limit ?? Infinity
    let yielded = 0
    let index = options.gte === undefined ? 0 : table.lowerBound(options.gte)
    while (yielded < limit) {
      this.#checkOpen()
      const key = table.keys[index]
      if (key === undefined || (options.lt !== undefined && key >= options.lt)) return
      const value = table.values.get(key) as Uint8Array
      yield [key, value.slice()] as const
      yielded++
      // The consumer may have written while suspended at the yield: find our place again.
      index = table.lowerBound(key, true)
    }
  }

  /** Idempotent; every other call on a closed handle rejects with StorageClosedError. */
  async close (): Promise<void> {
    this.#closed = true
  }

  #checkOpen (): void {
    if (this.#closed) throw new StorageClosedError()
  }
}
