/**
 * Which peer a tab is. The default name lives in sessionStorage: it survives a reload of
 * the tab and differs between tabs. A duplicated tab inherits its parent's sessionStorage
 * (and so its name); the Web Locks API tells: a name whose lock another tab holds is in
 * use, and a tab that inherited it mints a fresh one. Explicit names in use are an error:
 * two live peers with one identity would confuse everybody.
 */
import { TAB_NAME_RANDOM_BYTES } from './constants.js'

const TAB_NAME_KEY = 'ringstore:tab-name'
const LOCK_PREFIX = 'ringstore:peer:'

export class PeerNameInUseError extends Error {
  static override name = 'PeerNameInUseError'
  override name = 'PeerNameInUseError'
  constructor (readonly peerName: string) {
    super(`peer name ${JSON.stringify(peerName)} is in use by another tab or peer of this origin`)
  }
}

/** Releases a name lock. */
export type ReleaseName = () => void

/** The tab's name from sessionStorage, minting one if there is none (or if `fresh`). */
export function tabName (fresh = false): string {
  const storage = sessionStorageOrNull()
  const existing = fresh ? null : storage?.getItem(TAB_NAME_KEY) ?? null
  if (existing !== null && existing !== '') return existing
  const random = crypto.getRandomValues(new Uint8Array(TAB_NAME_RANDOM_BYTES))
  const name = `tab-${[...random].map((b) => b.toString(16).padStart(2, '0')).join('')}`
  storage?.setItem(TAB_NAME_KEY, name)
  return name
}

/**
 * Claim a peer name for this context until the returned function is called. With no
 * explicit name, the tab's default name is used (re-minted if a duplicated tab holds it).
 */
export async function claimPeerName (explicit: string | undefined): Promise<{ name: string, release: ReleaseName }> {
  if (explicit !== undefined) {
    const release = await tryLock(explicit)
    if (release === null) throw new PeerNameInUseError(explicit)
    return { name: explicit, release }
  }
  let name = tabName()
  let release = await tryLock(name)
  if (release === null) {
    name = tabName(true)
    release = await tryLock(name)
    if (release === null) throw new PeerNameInUseError(name)
  }
  return { name, release }
}

/** Holds the Web Lock of `name` until released; null when someone else holds it. No Web Locks → no check. */
async function tryLock (name: string): Promise<ReleaseName | null> {
  const locks = typeof navigator === 'undefined' ? undefined : navigator.locks
  if (locks === undefined) return () => undefined
  let release: ReleaseName = () => undefined
  const held = new Promise<void>((resolve) => { release = resolve })
  const granted = await new Promise<boolean>((resolve) => {
    locks.request(LOCK_PREFIX + name, { ifAvailable: true }, async (lock) => {
      resolve(lock !== null)
      if (lock !== null) await held
    }).catch(() => resolve(false))
  })
  return granted ? release : null
}

function sessionStorageOrNull (): Storage | null {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage
  } catch {
    // Storage access can throw (sandboxed iframes, disabled storage): no persistence then.
    return null
  }
}
