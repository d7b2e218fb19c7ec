/**
 * The part of @ringstore/browser's BrowserPeer the demo uses, written down structurally so
 * that the UI also runs on the in-memory stand-in (dev-fake.ts) and on a peer that is not
 * there at all (creation failed: the cart still works in memory).
 */
import type { Ring, VersionVector } from '@ringstore/core'

export interface DemoMember {
  readonly id: string
  readonly status: string
  readonly weight: number
  readonly zone: string
  readonly reachable: boolean
}

export interface DemoStatus {
  readonly peerId: string
  readonly members: readonly DemoMember[]
  readonly ring: { readonly q: number, readonly members: ReadonlyArray<{ readonly id: string, readonly weight: number, readonly zone: string, readonly partitions: number }> }
  readonly hintsPending: number
  readonly keys: number
  readonly online: boolean
  readonly connections: ReadonlyArray<{ readonly peer: string, readonly transport: string }>
  readonly blocked: readonly string[]
}

export interface DemoFaults {
  goOffline(): unknown
  goOnline(): unknown
  block(peer: string): unknown
  unblock(peer: string): unknown
}

export interface DemoPeer {
  readonly id: string
  /** The engine (for its ring and N); optional so that stand-ins may leave it out. */
  readonly peer?: { ring(): Ring, readonly config?: { readonly n: number } }
  get(key: string, options?: { r?: number, local?: boolean }): Promise<{ readonly values: readonly Uint8Array[], readonly context: VersionVector }>
  put(key: string, value: Uint8Array, options?: { context?: VersionVector, w?: number }): Promise<{ readonly context: VersionVector }>
  status(): DemoStatus
  readonly faults: DemoFaults
  onChange(listener: () => void): () => void
  /** Live updates of a key (pushed by the members); optional so that stand-ins may leave it out. */
  watch?(key: string, listener: () => void): () => void
  stop(): unknown
}
