/**
 * The peer's persistent identity in the browser: an Ed25519 private key (libp2p's protobuf
 * encoding) in a private slot of the peer's own IndexedDB database, so the same peer name
 * is the same peer id across reloads and two names are two peers.
 *
 * A key is generated first and then claimed in one readwrite transaction: if another tab
 * of the same name won the race, its key is used and ours is dropped. A stored key that
 * does not decode is an error, never silently replaced (a new key would be another peer).
 */
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import type { IdbStorage } from './idb-storage.js'

export const IDENTITY_SLOT = 'peer-key'

export class BrowserIdentityError extends Error {
  static override name = 'BrowserIdentityError'
  override name = 'BrowserIdentityError'
}

export async function loadOrCreateIdentity (storage: IdbStorage): Promise<PrivateKey> {
  const candidate = await generateKeyPair('Ed25519')
  const stored = await storage.claimSlot(IDENTITY_SLOT, privateKeyToProtobuf(candidate))
  try {
    return privateKeyFromProtobuf(stored)
  } catch (error) {
    throw new BrowserIdentityError(`the identity in ${storage.databaseName} is not a valid libp2p private key; refusing to replace it`, { cause: error })
  }
}
