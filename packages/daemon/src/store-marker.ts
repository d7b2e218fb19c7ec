/**
 * `DATA_DIR/store-id`: the id of the store this data dir's identity wrote to, kept beside
 * the identity key; the store holds the same id (FsStorage.storeId). It tells a store that
 * was there before and is gone (deleted, emptied, a volume not mounted) from a first start.
 *
 * WHY: a daemon that finds no store under an existing identity would start empty, and the
 * cluster would take it for a replica holding its share: reads through it answer "no such
 * key" until anti-entropy has refilled it, and its actor's old dots are forgotten. So it
 * refuses to start, unless the operator says the store is lost for good (--allow-empty-store):
 * it then starts empty and the other replicas refill it (anti-entropy, read repair).
 *
 * Order of writes, each durable before the next: the id into the store, then this file.
 * A crash in between leaves a store with an id and no file, which the next start adopts.
 * A data dir from before store ids (an identity, a store, no file) adopts its store too.
 */
import { open, readFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import type { FsStorage } from '@ringstore/storage-fs'
import type { Logger } from '@ringstore/peer'

export const STORE_ID_FILE = 'store-id'
/** The lmdb data file, whose absence or emptiness means the store is gone. */
const DATA_FILE = 'data.mdb'

/** The store is missing or empty where this data dir's identity had one. */
export class MissingStoreError extends Error {
  static override name = 'MissingStoreError'
  override name = 'MissingStoreError'
  constructor (readonly dataDir: string, readonly storeDir: string, readonly expected: string) {
    super(`data directory ${dataDir} holds a peer identity whose store ${storeDir} is missing or empty (it held store ${expected}); ` +
      'starting would serve an empty replica as if it held its share. Restore the store, or, if it is lost for good, ' +
      'start with --allow-empty-store: the daemon then starts empty and the other replicas refill it.')
  }
}

/** The store holds another store's id: it is not the one this identity wrote to. */
export class ForeignStoreError extends Error {
  static override name = 'ForeignStoreError'
  override name = 'ForeignStoreError'
  constructor (readonly dataDir: string, readonly storeDir: string, readonly expected: string, readonly found: string) {
    super(`the store ${storeDir} is store ${found}, but data directory ${dataDir} wrote to store ${expected}: ` +
      `it belongs to another data dir. Put the right store back, or remove ${join(dataDir, STORE_ID_FILE)} to adopt this one.`)
  }
}

/** The id recorded in `dataDir`, or undefined when there is none. */
export async function readStoreMarker (dataDir: string): Promise<string | undefined> {
  try {
    const text = (await readFile(join(dataDir, STORE_ID_FILE), 'utf8')).trim()
    return text === '' ? undefined : text
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

/**
 * Before the store is opened: refuses (MissingStoreError) when the data dir recorded a
 * store and its data file is absent or empty, unless `allowEmpty`. Nothing is created on
 * a refusal. Returns the recorded id.
 */
export async function checkStorePresent (dataDir: string, storeDir: string, allowEmpty: boolean): Promise<string | undefined> {
  const expected = await readStoreMarker(dataDir)
  if (expected !== undefined && !allowEmpty && !(await holdsData(join(storeDir, DATA_FILE)))) {
    throw new MissingStoreError(dataDir, storeDir, expected)
  }
  return expected
}

/**
 * After the store is opened: its id against the recorded one. A store without an id under
 * a recorded one is an emptied store (refused unless `allowEmpty`, then given a new id,
 * with a warning); a store with another id is refused. The data dir's record is written
 * (durably) whenever it is missing or changed.
 */
export async function reconcileStoreId (
  dataDir: string, storage: FsStorage, expected: string | undefined, allowEmpty: boolean, log: Logger
): Promise<string> {
  let id = storage.storeId()
  if (expected !== undefined && id !== expected) {
    if (id !== undefined) throw new ForeignStoreError(dataDir, storage.dir, expected, id)
    if (!allowEmpty) throw new MissingStoreError(dataDir, storage.dir, expected)
  }
  if (id === undefined) {
    if (expected !== undefined) {
      log.warn('--allow-empty-store: starting with an empty store under an identity that had one; the other replicas refill it (anti-entropy, read repair)', { dataDir, lostStore: expected })
    }
    id = await storage.assignStoreId()
  }
  if (id !== expected) await writeStoreMarker(dataDir, id)
  return id
}

async function holdsData (file: string): Promise<boolean> {
  try {
    const handle = await open(file, 'r')
    try {
      return (await handle.stat()).size > 0
    } finally {
      await handle.close()
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw error
  }
}

/** Writes the record durably: fsync, rename over the old one, fsync the directory. */
async function writeStoreMarker (dataDir: string, id: string): Promise<void> {
  const file = join(dataDir, STORE_ID_FILE)
  const temporary = `${file}.tmp`
  const handle = await open(temporary, 'w', 0o644)
  try {
    await handle.writeFile(`${id}\n`)
    await handle.sync()
  } finally {
    await handle.close()
  }
  await rename(temporary, file)
  const folder = await open(dataDir, 'r')
  try {
    await folder.sync()
  } finally {
    await folder.close()
  }
}
