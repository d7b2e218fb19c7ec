/**
 * A rogue peer for runs of an admitted cluster (docs/trust.md): a process that is not
 * admitted, yet gossips records of itself with weight 1000 (no admission, one forged by a
 * non-authority, one borrowed from an honest peer, a genuine weight-1 admission stretched to
 * 1000) and answers member pulls with a flood of such records for made-up peers. It
 * models an attacker who cannot forge the authority's signature (the simulator's signer
 * can sign as anyone, so the rogue simply never signs as the authority). The checker then
 * requires that no honest peer ever took a rogue record as a member.
 */
import { encodeAdmission, encodeRecord, newMemberRecord, nextHeartbeat } from '@ringstore/core'
import type { MemberRecord, PeerId, SignedAdmission, SignedRecord } from '@ringstore/core'
import type { NetworkHandlers } from '@ringstore/peer'
import type { SimHub, SimNetwork } from './network.js'
import type { Scheduler } from './scheduler.js'
import { SimSigner } from './signer.js'

export const ROGUE_ID = 'rogue'
/** Gossip period of the rogue, virtual ms: a few per heartbeat of the honest peers. */
const ROGUE_ANNOUNCE_MS = 150
/** Made-up peers in one pull answer. */
const ROGUE_FLOOD = 200
const ROGUE_WEIGHT = 1000

export class RoguePeer {
  readonly #scheduler: Scheduler
  readonly #authority: PeerId
  readonly #borrow: () => SignedAdmission | undefined
  readonly #network: SimNetwork
  #record: MemberRecord
  #running = false
  #turn = 0

  /** `borrow`: an honest peer's admission, to try passing off as the rogue's. */
  constructor (hub: SimHub, scheduler: Scheduler, authority: PeerId, borrow: () => SignedAdmission | undefined) {
    this.#scheduler = scheduler
    this.#authority = authority
    this.#borrow = borrow
    this.#network = hub.endpoint(ROGUE_ID)
    this.#record = newMemberRecord({ id: ROGUE_ID, addrs: [ROGUE_ID], weight: ROGUE_WEIGHT, zone: 'default', joinedAt: 0 })
  }

  async start (contacts: readonly PeerId[]): Promise<void> {
    const handlers: NetworkHandlers = {
      onRequest: async (_from, request) => request.type === 'members-pull'
        ? { type: 'members', records: await this.#flood() }
        : { type: 'error', code: 'unavailable', message: 'rogue' },
      onAnnounce: () => undefined,
      onPeerConnected: () => undefined,
      onPeerDisconnected: () => undefined
    }
    await this.#network.start(handlers)
    this.#running = true
    // Dialling makes the honest peers pull our table (the flood).
    for (const peer of contacts) void this.#network.dial(peer).catch(() => undefined)
    this.#schedule()
  }

  stop (): void {
    this.#running = false
  }

  #schedule (): void {
    this.#scheduler.schedule(ROGUE_ANNOUNCE_MS, () => {
      if (!this.#running) return
      void this.#announce().finally(() => { this.#schedule() })
    })
  }

  async #announce (): Promise<void> {
    this.#record = nextHeartbeat(this.#record)
    this.#network.announce(await this.#signed(this.#record, this.#turn++))
  }

  /** The record, with the admission of attack number `turn` (cycling through all of them). */
  async #signed (record: MemberRecord, turn: number): Promise<SignedRecord> {
    const signature = await new SimSigner(record.id).sign(encodeRecord(record))
    const genuineButSmall = { cluster: this.#authority, peer: record.id, maxWeight: 1, zone: record.zone, issuedAt: record.joinedAt }
    const attacks: Array<SignedAdmission | undefined> = [
      undefined,
      await signedBy('impostor', { ...genuineButSmall, maxWeight: ROGUE_WEIGHT }),
      this.#borrow(),
      await signedBy(this.#authority, genuineButSmall)
    ]
    const admission = attacks[turn % attacks.length]
    return admission === undefined ? { record, signature } : { record, signature, admission }
  }

  async #flood (): Promise<SignedRecord[]> {
    const records = Array.from({ length: ROGUE_FLOOD }, (_, i) =>
      newMemberRecord({ id: `${ROGUE_ID}-${i}`, addrs: [], weight: ROGUE_WEIGHT, zone: 'default', joinedAt: 0 }))
    return await Promise.all(records.map(async (record, i) => await this.#signed(record, i)))
  }
}

async function signedBy (signer: PeerId, admission: SignedAdmission['admission']): Promise<SignedAdmission> {
  return { admission, signature: await new SimSigner(signer).sign(encodeAdmission(admission)) }
}
