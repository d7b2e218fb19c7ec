/**
 * `?admission=<certificate>`: this tab's admission to the cluster, for a full peer
 * (`?weight=1`) in a cluster with an id. The value is the `certificate` field of the line
 * `ringstore admit --peer-id <this tab's id>` prints (base64url of the signed admission);
 * the tab's id is `window.ringstore.peer.id`, or the status panel's "This tab".
 */
import { decodeSignedAdmission } from '@ringstore/core'
import type { SignedAdmission } from '@ringstore/core'

/** Largest parameter read: a certificate is a few hundred characters. */
const MAX_PARAM_CHARS = 4096

/** The certificate, undefined without the parameter; throws (with why) when it is not a certificate. */
export function admissionFromUrl (url: URL): SignedAdmission | undefined {
  const raw = url.searchParams.get('admission')
  if (raw === null || raw === '') return undefined
  if (raw.length > MAX_PARAM_CHARS || !/^[A-Za-z0-9_-]+$/.test(raw)) throw new Error('?admission= is not a base64url certificate')
  const base64 = raw.replace(/-/g, '+').replace(/_/g, '/')
  return decodeSignedAdmission(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)))
}
