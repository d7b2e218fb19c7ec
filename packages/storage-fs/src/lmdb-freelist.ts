/**
 * A structural check of LMDB's free-page list, read with plain file reads (no mapping).
 *
 * WHY: store-check.ts reads every entry of every database in a child process, but LMDB's
 * free-page list is a database lmdb-js cannot read, and only writes consult it (to reuse
 * pages). With the free list's root page of a store overwritten (5 seeds), the child's read
 * passed and every write then failed with "MDB_CORRUPTED: Located page was wrong type": a
 * daemon that starts, then refuses every write. So its B-tree is walked here, with plain
 * file reads, and a damaged one refuses the store before it is mapped.
 *
 * Page layout of the LMDB that lmdb-js 3.x bundles (mdb.c, 64-bit; read back from real
 * files here): a 24-byte header, pgno(8) txnid(8) pad(2) flags(2) lower(2) upper(2), where
 * lower and upper count from the end of the header, as do the 2-byte node offsets after
 * it; an overflow page has its page count (4 bytes) in place of lower/upper. A node is
 * lo(2) hi(2) flags(2) ksize(2), the key, then the data; a branch node's child is
 * lo | hi << 16 | flags << 32. A free-list leaf maps a txnid (8-byte key) to a list of page
 * numbers (8 bytes each), inline or, with F_BIGDATA, in overflow pages. The walk checks
 * what makes LMDB read a wild page: each page says it is the page its parent named, lies
 * within the file, is of the kind its depth needs, and has a layout that fits.
 */
import type { Handle, Meta } from './lmdb-header.js'

const HEADER = 24
const P_BRANCH = 0x01
const P_LEAF = 0x02
const P_OVERFLOW = 0x04
const F_BIGDATA = 0x01
const NODE_HEADER = 8
/** LMDB's "no page" (an empty database's root). */
const P_INVALID = 0xffffffffffffffffn
/** B-tree depth bound: far beyond any real tree (a page of 4 KiB holds ≥ 2 keys). */
const MAX_DEPTH = 64

class Bad extends Error {}

/** Null when the free list of the store described by `meta` is sound, else what is wrong. */
export async function checkFreeList (handle: Handle, meta: Meta): Promise<string | null> {
  if (meta.freeRoot === P_INVALID) return null
  if (meta.freeDepth < 1 || meta.freeDepth > MAX_DEPTH) return `free-page list: implausible depth ${meta.freeDepth}`
  const walk = new Walk(handle, meta)
  try {
    await walk.tree(meta.freeRoot, meta.freeDepth)
    return null
  } catch (error) {
    if (error instanceof Bad) return `free-page list: ${error.message}`
    throw error
  }
}

class Walk {
  readonly #seen = new Set<bigint>()

  constructor (private readonly handle: Handle, private readonly meta: Meta) {}

  async tree (pgno: bigint, depth: number): Promise<void> {
    const page = await this.#page(pgno)
    const flags = page.readUInt16LE(18)
    const count = page.readUInt16LE(20) / 2
    const upper = page.readUInt16LE(22)
    const leaf = depth === 1
    if ((flags & (leaf ? P_LEAF : P_BRANCH)) === 0) throw new Bad(`page ${pgno} should be a ${leaf ? 'leaf' : 'branch'} (flags ${flags.toString(16)})`)
    if (!Number.isInteger(count) || count < 1 || HEADER + upper > page.length || count * 2 > upper) {
      throw new Bad(`page ${pgno} has an impossible layout (lower ${count * 2}, upper ${upper})`)
    }
    for (let i = 0; i < count; i++) {
      const at = HEADER + page.readUInt16LE(HEADER + 2 * i)
      if (at < HEADER + upper || at + NODE_HEADER > page.length) throw new Bad(`page ${pgno}: node ${i} lies outside the page`)
      const lo = page.readUInt16LE(at)
      const hi = page.readUInt16LE(at + 2)
      const nodeFlags = page.readUInt16LE(at + 4)
      const keySize = page.readUInt16LE(at + 6)
      if (at + NODE_HEADER + keySize > page.length) throw new Bad(`page ${pgno}: node ${i}'s key runs past the page`)
      if (!leaf) {
        await this.tree(BigInt(lo) | (BigInt(hi) << 16n) | (BigInt(nodeFlags) << 32n), depth - 1)
        continue
      }
      const size = lo | (hi << 16)
      const data = at + NODE_HEADER + keySize
      if ((nodeFlags & F_BIGDATA) !== 0) {
        if (data + 8 > page.length) throw new Bad(`page ${pgno}: node ${i}'s overflow page number runs past the page`)
        this.#pageList(await this.#overflow(page.readBigUInt64LE(data), size), `overflow of page ${pgno}`)
      } else {
        if (data + size > page.length) throw new Bad(`page ${pgno}: node ${i}'s data runs past the page`)
        this.#pageList(page.subarray(data, data + size), `page ${pgno}`)
      }
    }
  }

  /**
   * A record of page numbers. Only its length is checked: the records are not all plain
   * [count, pgno...] lists (after a SIGKILL, txnid 1's record read [2, 0, 12, 0] in a file
   * of 13 pages), and a page overwritten whole already fails the page checks above.
   */
  #pageList (bytes: Buffer, where: string): void {
    if (bytes.length < 8 || bytes.length % 8 !== 0) throw new Bad(`${where}: a page list of ${bytes.length} bytes`)
  }

  /** `size` bytes of data in the overflow pages starting at `pgno`. */
  async #overflow (pgno: bigint, size: number): Promise<Buffer> {
    const first = await this.#page(pgno)
    const pages = first.readUInt32LE(20)
    const psize = this.meta.psize
    if ((first.readUInt16LE(18) & P_OVERFLOW) === 0) throw new Bad(`page ${pgno} should be an overflow page`)
    if (pages < 1 || HEADER + size > pages * psize || pgno + BigInt(pages) - 1n > this.meta.lastPage) {
      throw new Bad(`overflow page ${pgno}: ${pages} pages cannot hold ${size} bytes in the file`)
    }
    const buf = Buffer.alloc(size)
    await this.handle.read(buf, 0, size, Number(pgno) * psize + HEADER)
    return buf
  }

  /** Page `pgno`, which must be within the file, seen once, and say it is page `pgno`. */
  async #page (pgno: bigint): Promise<Buffer> {
    if (pgno < 2n || pgno > this.meta.lastPage) throw new Bad(`page number ${pgno} is outside the file (last ${this.meta.lastPage})`)
    if (this.#seen.has(pgno)) throw new Bad(`page ${pgno} is reached twice (a loop)`)
    this.#seen.add(pgno)
    const buf = Buffer.alloc(this.meta.psize)
    const { bytesRead } = await this.handle.read(buf, 0, buf.length, Number(pgno) * this.meta.psize)
    if (bytesRead < buf.length) throw new Bad(`page ${pgno} is past the end of the file`)
    if (buf.readBigUInt64LE(0) !== pgno) throw new Bad(`page ${pgno} says it is page ${buf.readBigUInt64LE(0)}`)
    return buf
  }
}
