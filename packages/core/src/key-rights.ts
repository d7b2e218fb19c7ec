/**
 * Which keys a client may read and write (docs/trust.md, "Per-key rights"). Members and
 * operators (the HTTP API) may touch every key; a client (a browser tab, or any peer that
 * is not an admitted member) only these, told apart by the key's first segment:
 *
 * - `cap/<id>/…` (or `cap/<id>`): a **capability**. Whoever knows the id may read and
 *   write; the id must be at least CAPABILITY_ID_MIN_CHARS base64url characters (128
 *   bits), so it cannot be guessed, and no client can list keys. Sharing the key is
 *   sharing the right (the demo's cart and its share link).
 * - `~<peer id>/…`: an **owner** key. Any client may read it; only the client whose
 *   connection is authenticated as that peer id (libp2p's Noise handshake proves the key)
 *   may write it. For a user's public profile, their settings, what they publish.
 * - `pub/…`: **public**, read-only for clients; written by members and operators.
 * - Anything else is for members and operators alone.
 *
 * Deny by default: a client's request for any other key is refused, whatever it carries.
 * Within a key it may write, what it may do is still bounded by clientContribution
 * (versions-client.ts): only its own dots, no forged counters, no erasure without a write.
 *
 * Why the rule is in the key, not in a table: every member decides alone, at once, with
 * nothing to look up or replicate, and a tab can tell before it writes whether a key is
 * one it may use (automerge-repo's "know the id, get access" rule applies to every
 * document there; here it applies only to keys that ask for it, with an id long enough).
 */
import type { Key, PeerId } from './types.js'

export const CAPABILITY_PREFIX = 'cap/'
export const OWNER_PREFIX = '~'
export const PUBLIC_PREFIX = 'pub/'

/** 22 base64url characters = 132 bits: beyond guessing, as long as a v4 UUID's randomness and then some. */
export const CAPABILITY_ID_MIN_CHARS = 22
/** And at most: an id is a name, not a place to store data. */
export const CAPABILITY_ID_MAX_CHARS = 128

const CAPABILITY_ID = /^[A-Za-z0-9_-]+$/

export type KeyAccess = 'read' | 'write'

export type KeyKind =
  | { readonly kind: 'capability', readonly id: string }
  | { readonly kind: 'owner', readonly owner: PeerId }
  | { readonly kind: 'public' }
  | { readonly kind: 'members' }

/** What kind of key `key` is for the rights rules (a capability with a short id is none: 'members'). */
export function keyKind (key: Key): KeyKind {
  if (key.startsWith(CAPABILITY_PREFIX)) {
    const rest = key.slice(CAPABILITY_PREFIX.length)
    const end = rest.indexOf('/')
    const id = end < 0 ? rest : rest.slice(0, end)
    if (capabilityIdProblem(id) === undefined) return { kind: 'capability', id }
    return { kind: 'members' }
  }
  if (key.startsWith(OWNER_PREFIX)) {
    const end = key.indexOf('/')
    const owner = key.slice(OWNER_PREFIX.length, end < 0 ? key.length : end)
    // `~<id>/…` only: the owner's own keys are below its name, the name alone is not a key.
    if (owner.length > 0 && end > 0) return { kind: 'owner', owner }
    return { kind: 'members' }
  }
  if (key.startsWith(PUBLIC_PREFIX)) return { kind: 'public' }
  return { kind: 'members' }
}

/** Why `id` is no capability id (undefined: it is one). */
export function capabilityIdProblem (id: string): string | undefined {
  if (!CAPABILITY_ID.test(id)) return 'a capability id is base64url characters (A-Z a-z 0-9 - _)'
  if (id.length < CAPABILITY_ID_MIN_CHARS) return `a capability id needs at least ${CAPABILITY_ID_MIN_CHARS} characters (128 bits), or it could be guessed; this one has ${id.length}`
  if (id.length > CAPABILITY_ID_MAX_CHARS) return `a capability id has at most ${CAPABILITY_ID_MAX_CHARS} characters`
  return undefined
}

/**
 * Why the client `client` may not `access` `key` (undefined: it may). The message names the
 * rule, for the refused client's error.
 */
export function clientKeyProblem (key: Key, client: PeerId, access: KeyAccess): string | undefined {
  const kind = keyKind(key)
  switch (kind.kind) {
    case 'capability':
      return undefined
    case 'owner':
      if (access === 'read' || kind.owner === client) return undefined
      return `${OWNER_PREFIX}${kind.owner}/… keys are written by that peer alone`
    case 'public':
      return access === 'read' ? undefined : `${PUBLIC_PREFIX}… keys are read-only for clients: members and operators write them`
    case 'members': {
      const capability = key.startsWith(CAPABILITY_PREFIX) ? capabilityIdProblem(key.slice(CAPABILITY_PREFIX.length).split('/')[0] ?? '') : undefined
      if (capability !== undefined) return capability
      return `a client may use ${CAPABILITY_PREFIX}<id>/…, ${OWNER_PREFIX}<its peer id>/… and (to read) ${PUBLIC_PREFIX}… keys; this key is for members and operators`
    }
  }
}

/** The key `path` (may be empty) under the capability `id`. */
export function capabilityKey (id: string, path = ''): Key {
  const problem = capabilityIdProblem(id)
  if (problem !== undefined) throw new RangeError(problem)
  return path === '' ? `${CAPABILITY_PREFIX}${id}` : `${CAPABILITY_PREFIX}${id}/${path}`
}

/** The key `path` (non-empty) owned by `owner`. */
export function ownerKey (owner: PeerId, path: string): Key {
  if (owner.length === 0 || owner.includes('/')) throw new RangeError('an owner is a peer id')
  if (path.length === 0) throw new RangeError('an owner key needs a path below the owner')
  return `${OWNER_PREFIX}${owner}/${path}`
}
