/**
 * What the membership topic's validator (network.ts) checks beyond the frame: a per-source
 * rate bound on records, and, in a cluster with an authority, that a record is signed by
 * its subject and admitted (docs/trust.md). Browser-safe.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { admissionProblem, encodeAdmission, encodeRecord, encodeRemoval, removalProblem } from '@ringstore/core'
import type { PeerId, SignedAdmission, SignedRecord, SignedRemoval } from '@ringstore/core'

/**
 * A token bucket per propagation source: `perSecond` tokens a second up to `burst`; a
 * record takes one. At most `maxPeers` buckets: the least recently used is forgotten.
 */
export class RateBound {
  private readonly buckets = new Map<string, { tokens: number, at: number }>()

  constructor (
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly maxPeers: number,
    private readonly now: () => number = () => performance.now()
  ) {}

  /** Whether `peer` may spend `cost` tokens now (one record: 1), and they are taken. */
  take (peer: string, cost = 1): boolean {
    const now = this.now()
    const held = this.buckets.get(peer)
    let bucket: { tokens: number, at: number }
    if (held === undefined) {
      bucket = { tokens: this.burst, at: now }
      if (this.buckets.size >= this.maxPeers) {
        const oldest = this.buckets.keys().next().value
        if (oldest !== undefined) this.buckets.delete(oldest)
      }
    } else {
      bucket = held
      bucket.tokens = Math.min(this.burst, bucket.tokens + Math.max(0, now - bucket.at) * this.perSecond / 1000)
      bucket.at = now
      this.buckets.delete(peer)
    }
    // Re-inserted: Map order is then least recently used first.
    this.buckets.set(peer, bucket)
    if (bucket.tokens < cost) return false
    bucket.tokens -= cost
    return true
  }

  /** Sources with a bucket (for tests of the bound). */
  get size (): number {
    return this.buckets.size
  }
}

/** Why a record is refused by an admitted cluster. */
export type AdmissionVerdict = 'bad-signature' | 'no-admission' | 'not-by-authority' | 'does-not-fit'

/**
 * Checks records against a cluster authority, as membership does before it takes one as
 * a member: the author's signature over the record, then an admission the authority
 * signed that fits the record (core's `admissionProblem`). The authority-signature verdict
 * is remembered per certificate (bounded, least recently used first), so a heartbeat
 * costs one signature check, not two.
 */
export class AdmissionCheck {
  private readonly verdicts = new Map<string, Promise<boolean>>()

  constructor (
    readonly clusterId: PeerId,
    private readonly verify: (peer: PeerId, data: Uint8Array, signature: Uint8Array) => Promise<boolean>,
    private readonly maxEntries: number
  ) {}

  /** Undefined when `signed` may be a member of the cluster, else why not. Never throws. */
  async problem (signed: SignedRecord): Promise<AdmissionVerdict | undefined> {
    const { record, admission } = signed
    let encoded: Uint8Array
    try {
      encoded = encodeRecord(record)
    } catch {
      return 'bad-signature'
    }
    if (!await this.verify(record.id, encoded, signed.signature)) return 'bad-signature'
    if (admission === undefined) return 'no-admission'
    if (!await this.signedByAuthority(admission)) return 'not-by-authority'
    return admissionProblem(admission.admission, this.clusterId, record) === undefined ? undefined : 'does-not-fit'
  }

  /** Undefined when `signed` is this cluster's authority removing a member, else why not. Never throws. */
  async removalProblem (signed: SignedRemoval): Promise<'not-by-authority' | 'other-cluster' | undefined> {
    if (removalProblem(signed.removal, this.clusterId) !== undefined) return 'other-cluster'
    let bytes: Uint8Array
    try {
      bytes = encodeRemoval(signed.removal)
    } catch {
      return 'not-by-authority'
    }
    return await this.verify(this.clusterId, bytes, signed.signature).catch(() => false) ? undefined : 'not-by-authority'
  }

  /** Certificates with a remembered verdict (for tests of the bound). */
  get size (): number {
    return this.verdicts.size
  }

  private async signedByAuthority (signed: SignedAdmission): Promise<boolean> {
    let bytes: Uint8Array
    try {
      bytes = encodeAdmission(signed.admission)
    } catch {
      return false
    }
    const key = certificateKey(bytes, signed.signature)
    let verdict = this.verdicts.get(key)
    if (verdict === undefined) {
      // The promise is remembered, so concurrent copies of one certificate share one check.
      verdict = this.verify(this.clusterId, bytes, signed.signature).catch(() => false)
      if (this.verdicts.size >= this.maxEntries) {
        const oldest = this.verdicts.keys().next().value
        if (oldest !== undefined) this.verdicts.delete(oldest)
      }
    } else {
      this.verdicts.delete(key)
    }
    this.verdicts.set(key, verdict)
    return await verdict
  }
}

/** The cache key of a certificate: SHA-256 over its signed bytes and its signature. */
function certificateKey (admission: Uint8Array, signature: Uint8Array): string {
  const both = new Uint8Array(admission.byteLength + 4 + signature.byteLength)
  // The admission's length first, so no two (admission, signature) pairs share the bytes.
  new DataView(both.buffer).setUint32(0, admission.byteLength)
  both.set(admission, 4)
  both.set(signature, 4 + admission.byteLength)
  return toHex(sha256(both))
}

function toHex (bytes: Uint8Array): string {
  let hex = ''
  for (const b of bytes) hex += b.toString(16).padStart(2, '0')
  return hex
}
