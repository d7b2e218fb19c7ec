/**
 * The error only the filesystem storage raises. Refused ops and calls after close reject
 * with the engine's InvalidStorageOpError and StorageClosedError (@ringstore/peer), as
 * every Storage adapter does.
 */

/** The data directory could not be opened as a ringstore store (missing rights, not LMDB, corrupt). */
export class StorageOpenError extends Error {
  static override name = 'StorageOpenError'
  override name = 'StorageOpenError'
  constructor (readonly dir: string, detail: string, options?: ErrorOptions) {
    super(`cannot open storage in ${dir}: ${detail}`, options)
  }
}
