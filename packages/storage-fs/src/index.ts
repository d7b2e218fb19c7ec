/**
 * @ringstore/storage-fs — durable filesystem `Storage` for the ringstore engine (Node),
 * on lmdb-js: one LMDB environment per data directory, one sub-database per namespace,
 * group commit (concurrent writes share one fsync), `write` resolves once on disk.
 *
 * @example
 * import { FsStorage } from '@ringstore/storage-fs'
 * const storage = await FsStorage.open('./data/peer-1')
 * await storage.write([{ ns: 'data', key: 'cart:42', value: bytes }])
 * const value = await storage.get('data', 'cart:42')
 * await storage.close()
 */
export { FsStorage } from './fs-storage.js'
export type { FsStorageOptions } from './fs-storage.js'
export { StorageOpenError } from './errors.js'
export { MAX_KEY_BYTES } from './constants.js'
