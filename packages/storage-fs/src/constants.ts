/**
 * The filesystem storage's fixed numbers, each with where it comes from. The on-disk
 * layout (namespaces, the format sub-database and its version, the key prefix byte) stays
 * in fs-storage.ts and key-codec.ts, and LMDB's own file-format numbers in lmdb-header.ts:
 * they describe a format, they are not tuned.
 */

/**
 * LMDB's compiled-in key limit: lmdb-js builds LMDB with a maximum key size of 1978 bytes
 * and refuses longer keys.
 */
export const MAX_KEY_BYTES = 1978

/**
 * Entries read per LMDB range call during a scan. Each page is read synchronously and no
 * read transaction is held while the consumer awaits, so a slow consumer never pins old
 * pages and `close()` never races an open cursor. 256 keeps a page well under a
 * millisecond for small values.
 */
export const SCAN_PAGE = 256

/**
 * LMDB map size: address space reserved up front, not memory or disk (the mapping is
 * read-only and the file grows with the data). lmdb-js otherwise starts at 128 KiB and,
 * each time the file outgrows the map, maps it again at a larger size while keeping every
 * earlier mapping, so the file's pages count in RSS once per mapping: measured 17 MB of
 * file-backed RSS for a 7 MB data.mdb after 11k writes, 6 mappings. 64 GiB is beyond any
 * store a peer of this project holds; past it lmdb-js grows the map as before.
 */
export const MAP_SIZE_BYTES = 64 * 2 ** 30

/**
 * Default of FsStorageOptions.commitDelayMs: no extra wait; lmdb-js starts the commit as
 * soon as the event turn ends, and the writes queued while a commit is in progress share
 * the next one (group commit), which already gave ~43,000 writes/s with 64 writers.
 */
export const DEFAULT_COMMIT_DELAY_MS = 0

/**
 * UTF-16 code units decoded per String.fromCharCode call when a key is read back: far
 * below JavaScript engines' limit on the number of arguments of one call.
 */
export const FROM_CHAR_CODE_CHUNK = 4096

/**
 * A write that failed while the data directory's filesystem had less than this available
 * counts as "disk full" (space.ts): the store then reports full, and the daemon answers
 * writes 507 instead of retrying them into the wall.
 */
export const FULL_BELOW_BYTES = 8 * 2 ** 20

/** A full store reports space again once this much is available (above FULL_BELOW_BYTES: no flapping). */
export const RESUME_ABOVE_BYTES = 16 * 2 ** 20

/** How often a full store looks at the filesystem again (a statfs call) when asked. */
export const SPACE_RECHECK_MS = 1000

/**
 * How long the child process of store-check.ts may take to read a whole store before the
 * store is refused (a damaged page could make a cursor spin): this base, plus one
 * millisecond per STORE_CHECK_BYTES_PER_MS bytes of `data.mdb`. The child read a 119 MB
 * store in ~0.4 s here (~300 MB/s); the bound assumes 10 MB/s, so a slow disk or a cold
 * cache never gets a healthy store refused.
 */
export const STORE_CHECK_BASE_MS = 60_000
export const STORE_CHECK_BYTES_PER_MS = 10_000
