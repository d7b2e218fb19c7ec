/**
 * A pre-flight check of an LMDB data file, done in JavaScript before lmdb-js opens it.
 *
 * WHY: lmdb-js 3.5.6 crashes the whole process (SIGSEGV in its native error path,
 * `EnvWrap::closeEnv`) when `open` meets a file that LMDB refuses (MDB_INVALID), and a
 * data file shorter than its meta page says ends in SIGBUS on the first read past EOF.
 * Both were reproduced here with zero-filled, random and truncated `data.mdb` files. So we
 * read the two meta pages ourselves and refuse with a clear message what LMDB would
 * refuse (or fault on), and walk the free-page list (lmdb-freelist.ts); the other pages
 * are read in a child process (store-check.ts).
 */
import { open as openFile, stat } from 'node:fs/promises'
import { checkFreeList } from './lmdb-freelist.js'

/** `MDB_MAGIC` and `MDB_DATA_VERSION` from lmdb-js's bundled mdb.c. */
const MDB_MAGIC = 0xbeefc0de
const MDB_DATA_VERSION = 2
/** `P_META` page flag (mdb.c). */
const P_META = 0x08
/**
 * Offsets in a meta page (mdb.c, 64-bit build): the page header is pgno(8) txnid(8) pad(2)
 * flags(2) lower/upper(4) = 24 bytes; then MDB_meta: magic(4) version(4) address(8)
 * mapsize(8) two MDB_db of 48 bytes (the first one's md_pad is the page size), last_pg(8),
 * txnid(8). The first MDB_db is the free-page list's: md_depth at +6, md_root at +40.
 */
const OFF = { flags: 18, magic: 24, version: 28, psize: 48, freeDepth: 54, freeRoot: 88, lastPage: 144, txnid: 152 } as const
const META_BYTES = 160
/** LMDB page sizes are powers of two in this range (mdb.c MIN_PAGESIZE / MAX_PAGESIZE). */
const MIN_PAGE = 256
const MAX_PAGE = 65536

export interface Meta {
  readonly psize: number
  readonly lastPage: bigint
  readonly txnid: bigint
  /** The free-page list's B-tree: its root page (P_INVALID = all ones when empty) and depth. */
  readonly freeRoot: bigint
  readonly freeDepth: number
}

/**
 * Checks `file` (a `data.mdb`). Returns null when it is absent, empty (LMDB initialises
 * it) or plausible; otherwise a sentence saying what is wrong.
 */
export async function checkDataFile (file: string): Promise<string | null> {
  const size = await fileSize(file)
  if (size === null || size === 0) return null
  const handle = await openFile(file, 'r')
  try {
    const newest = await readNewestMeta(handle, size)
    if (typeof newest === 'string') return newest
    const needed = (newest.lastPage + 1n) * BigInt(newest.psize)
    if (BigInt(size) < needed) {
      return `data file is ${size} bytes but its meta page says ${needed} (truncated?)`
    }
    return await checkFreeList(handle, newest)
  } finally {
    await handle.close()
  }
}

async function fileSize (file: string): Promise<number | null> {
  try {
    return (await stat(file)).size
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
}

export type Handle = Awaited<ReturnType<typeof openFile>>

async function readMeta (handle: Handle, offset: number, size: number): Promise<Meta | string> {
  if (size < offset + META_BYTES) return `file of ${size} bytes is too short for an LMDB meta page`
  const buf = Buffer.alloc(META_BYTES)
  await handle.read(buf, 0, META_BYTES, offset)
  if (buf.readUInt32LE(OFF.magic) !== MDB_MAGIC) return 'not an LMDB file (bad magic)'
  if ((buf.readUInt16LE(OFF.flags) & P_META) === 0) return 'not a meta page'
  const version = buf.readUInt32LE(OFF.version)
  if (version !== MDB_DATA_VERSION) return `unsupported LMDB data version ${version}`
  const psize = buf.readUInt32LE(OFF.psize)
  if (psize < MIN_PAGE || psize > MAX_PAGE || (psize & (psize - 1)) !== 0) return `implausible page size ${psize}`
  return {
    psize,
    lastPage: buf.readBigUInt64LE(OFF.lastPage),
    txnid: buf.readBigUInt64LE(OFF.txnid),
    freeRoot: buf.readBigUInt64LE(OFF.freeRoot),
    freeDepth: buf.readUInt16LE(OFF.freeDepth)
  }
}

/** The meta page LMDB uses: the one of the latest transaction (mdb.c mdb_env_pick_meta). */
function newer (first: Meta, second: Meta): Meta {
  return first.txnid >= second.txnid ? first : second
}

/** The meta page LMDB will use, from an open `data.mdb` of `size` bytes; a string when a meta page is bad. */
export async function readNewestMeta (handle: Handle, size: number): Promise<Meta | string> {
  const first = await readMeta(handle, 0, size)
  if (typeof first === 'string') return `meta page 0: ${first}`
  const second = await readMeta(handle, first.psize, size)
  if (typeof second === 'string') return `meta page 1: ${second}`
  return newer(first, second)
}

/**
 * The id of the latest committed write transaction recorded in `file`'s meta pages: the
 * number of commits since the store was created. Tests use it to count commits.
 */
export async function readLatestTxnId (file: string): Promise<number> {
  const size = await fileSize(file) ?? 0
  const handle = await openFile(file, 'r')
  try {
    const first = await readMeta(handle, 0, size)
    if (typeof first === 'string') throw new Error(first)
    const second = await readMeta(handle, first.psize, size)
    if (typeof second === 'string') throw new Error(second)
    return Number(first.txnid > second.txnid ? first.txnid : second.txnid)
  } finally {
    await handle.close()
  }
}
