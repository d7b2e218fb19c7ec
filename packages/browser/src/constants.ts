/**
 * The browser peer's fixed numbers, each with where it comes from. Names in IndexedDB,
 * sessionStorage and Web Locks (database prefix, store, slots, lock prefix) stay with the
 * code that owns them (idb-storage.ts, identity.ts, tab-name.ts): they are a layout, not
 * tuned. Engine settings are PeerConfig, passed through BrowserPeerOptions.config.
 */

/**
 * How often hint and membership changes are looked for (the engine has no events for
 * them): a UI shows "unsynced changes" within half a second, and a poll costs a few map reads.
 */
export const CHANGE_POLL_MS = 500

/**
 * Entries per scan page: large enough that a full-namespace scan (anti-entropy rebuild)
 * costs few transactions, small enough that a page of 1 KiB values stays ~256 KiB.
 */
export const SCAN_PAGE_SIZE = 256

/** Bytes of randomness in a minted tab name: 64 bits, collisions are not a concern. */
export const TAB_NAME_RANDOM_BYTES = 8
