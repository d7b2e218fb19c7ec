/**
 * Keeps one cart in step with the store, "always writeable" (Dynamo §4.4, W=1):
 * - a change applies at once to the cart held in memory (the UI never waits for the
 *   network), then a sync persists it;
 * - a sync reads the key, merges every sibling and the in-memory cart with the cart merge
 *   function, and writes the result back with the read's context whenever the store does
 *   not already hold exactly it (local changes, or several siblings to collapse);
 * - syncs run one at a time; requests made while one waits to start share it.
 * Causal contexts stay in memory: the next read hands out a fresh one anyway.
 */
import type { VersionVector } from '@ringstore/core'
import { emptyCart, mergeAllCarts, mergeCarts, sameCart } from './cart-model.js'
import type { CartState } from './cart-model.js'
import { decodeCart, encodeCart } from './cart-codec.js'
import { describeMerge } from './conflicts.js'
import type { MergeRecord } from './conflicts.js'
import type { DemoPeer } from './peer-types.js'

/** Merges kept for the conflicts panel, newest first. */
const MAX_MERGE_RECORDS = 20

export interface SyncOptions {
  /**
   * Read this tab's own replica alone (changes, pushed updates: the UI never waits for the
   * network) instead of the cluster's R replicas (refreshes). A tab's copy is no replica of
   * the key, so only a local read works offline.
   */
  readonly local?: boolean
}

export class CartSync {
  readonly key: string
  readonly writer: string
  readonly #peer: DemoPeer | null
  readonly #onUpdate: () => void
  #cart: CartState = emptyCart()
  /** The cart last written or read as the store's only version (null: not known yet). */
  #stored: CartState | null = null
  #context: VersionVector | undefined
  #tail: Promise<void> = Promise.resolve()
  #queued: Promise<void> | null = null
  #merges: MergeRecord[] = []
  #lastError: string | null = null
  #syncs = 0

  constructor (peer: DemoPeer | null, key: string, writer: string, onUpdate: () => void) {
    this.#peer = peer
    this.key = key
    this.writer = writer
    this.#onUpdate = onUpdate
  }

  get cart (): CartState { return this.#cart }
  get merges (): readonly MergeRecord[] { return this.#merges }
  get lastError (): string | null { return this.#lastError }
  /** True while the in-memory cart holds changes the local store does not have yet. */
  get unsaved (): boolean { return this.#stored === null ? this.#cart.items.size > 0 : !sameCart(this.#stored, this.#cart) }
  /** Completed syncs (for tests waiting on a fresh read). */
  get syncs (): number { return this.#syncs }

  /** Applies a change now and resolves once it is written to the store (W=1). */
  change (update: (cart: CartState, writer: string) => CartState): Promise<void> {
    this.#cart = update(this.#cart, this.writer)
    this.#onUpdate()
    return this.sync({ local: true })
  }

  /** Reads, merges and writes back if needed; never rejects (errors land in `lastError`). */
  sync (options: SyncOptions = {}): Promise<void> {
    if (this.#queued !== null) return this.#queued
    const run = this.#tail.then(async () => {
      this.#queued = null
      try {
        await this.#syncOnce(options)
        this.#lastError = null
      } catch (error) {
        this.#lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
      }
      this.#syncs++
      this.#onUpdate()
    })
    this.#queued = run
    this.#tail = run
    return run
  }

  async #read (peer: DemoPeer, options: SyncOptions): Promise<{ versions: CartState[], unreadable: number, context: VersionVector }> {
    let got
    try {
      got = await peer.get(this.key, options.local === true ? { local: true } : {})
    } catch (error) {
      // A refresh at the cluster's R fails offline; the local replica still answers.
      if (options.local === true) throw error
      got = await peer.get(this.key, { local: true })
    }
    const versions: CartState[] = []
    let unreadable = 0
    for (const bytes of got.values) {
      try {
        versions.push(decodeCart(bytes))
      } catch {
        unreadable++ // not a cart (a hand-made PUT): the merged write below supersedes it
      }
    }
    return { versions, unreadable, context: got.context }
  }

  async #syncOnce (options: SyncOptions): Promise<void> {
    const peer = this.#peer
    if (peer === null) return // no store at all: the cart lives in memory only
    const read = await this.#read(peer, options)
    const stored = mergeAllCarts(read.versions)
    this.#cart = mergeCarts(this.#cart, stored)
    const siblings = read.versions.length + read.unreadable
    if (siblings > 1) this.#recordMerge(describeMerge(read.versions, this.#cart, read.unreadable, Date.now()))
    const storeHoldsIt = siblings === 1 && read.unreadable === 0 && sameCart(stored, this.#cart)
    const nothingAnywhere = siblings === 0 && this.#cart.items.size === 0 && this.#cart.context.length === 0
    if (storeHoldsIt || nothingAnywhere) {
      this.#stored = this.#cart
      this.#context = read.context
      return
    }
    const writing = this.#cart
    // W=1: one replica's ack, or offline this tab's durable copy standing in for the
    // replicas it keeps hints for (they carry it there later).
    const context = read.context.length > 0 ? read.context : this.#context
    const put = await peer.put(this.key, encodeCart(writing), context === undefined ? { w: 1 } : { context, w: 1 })
    this.#stored = writing
    this.#context = put.context
  }

  #recordMerge (record: MergeRecord): void {
    this.#merges = [record, ...this.#merges].slice(0, MAX_MERGE_RECORDS)
  }
}
