/** Errors of the filesystem storage. Each has a stable `name` (survives bundling). */

/** The data directory could not be opened as a ringstore store (missing rights, not LMDB, corrupt). */
export class StorageOpenError extends Error {
  static override name = 'StorageOpenError'
  override name = 'StorageOpenError'
  constructor (readonly dir: string, detail: string, options?: ErrorOptions) {
    super(`cannot open storage in ${dir}: ${detail}`, options)
  }
}

/** Calls after close reject with the engine's own StorageClosedError (same class as MemoryStorage's). */
export { StorageClosedError } from '@ringstore/peer'

/** An op the store cannot take: unknown namespace, a key LMDB cannot hold, a value that is not bytes. */
export class InvalidStorageOpError extends Error {
  static override name = 'InvalidStorageOpError'
  override name = 'InvalidStorageOpError'
}
