/**
 * Operator routes under /admin/ (what `ringstore leave` and `ringstore remove` call).
 *
 * - `POST /admin/leave` with `{"peerId":"<this daemon's id>"}`: start leaving the cluster
 *   for good (leave.ts); 202 with the progress. Repeating it is harmless (same leave).
 *   409 `wrong_peer` when the id is another's, 409 `cannot_leave` when no other active
 *   member owns partitions (the data would have nowhere to go).
 * - `GET /admin/leave`: the progress, 200.
 * - `POST /admin/remove` with `{"removal":"<base64url signed removal>"}`: remove a dead
 *   member for good (`ringstore remove` signs it with the cluster's authority; this daemon
 *   only checks and spreads it: it never needs the secret). 200 `{"peer","removedAt",
 *   "fresh"}`; 400 `bad_removal` when it does not decode or the authority did not sign it;
 *   409 `cannot_remove_self` for this daemon's own removal (send it to another member).
 *
 * Besides the bearer token every /admin/ request needs (access.ts), two guards, since a
 * leave cannot be undone: the body must name this daemon's peer id (a command pointed at
 * the wrong port, or a stale daemon.json, refuses instead of sending another daemon
 * away), and a request that carries an `Origin` header is refused (403
 * `forbidden_origin`) even from an --allow-origin page: these routes are for operator
 * tools (the CLI, curl), which send none, never for web pages.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { CodecError, decodeSignedRemoval } from '@ringstore/core'
import type { Peer } from '@ringstore/peer'
import { InvalidRemovalError } from '@ringstore/peer'
import type { Leave } from '../leave.js'
import { readBody } from './body.js'
import { HttpError, methodNotAllowed, sendJson } from './respond.js'

/** Largest admin request body: `{"peerId":"…"}` is ~70 bytes, a signed removal ~250. */
const MAX_ADMIN_BODY_BYTES = 4096

export interface AdminDeps {
  readonly leave: Leave
  readonly peer: Pick<Peer, 'id' | 'remove'>
}

export async function handleAdmin (deps: AdminDeps, req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
  if (req.headers.origin !== undefined) {
    throw new HttpError(403, 'forbidden_origin', 'the /admin/ routes are for operator tools (ringstore leave, curl), not web pages: a request with an Origin header is refused')
  }
  if ([...query.keys()].length > 0) throw new HttpError(400, 'bad_query', 'the /admin/ routes take no query parameters')
  switch (path) {
    case '/admin/leave':
      await leaveRoute(deps, req, res)
      return
    case '/admin/remove':
      await removeRoute(deps, req, res)
      return
    default:
      throw new HttpError(404, 'not_found', 'no such admin route; see /admin/leave and /admin/remove')
  }
}

async function leaveRoute ({ leave }: AdminDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === 'GET') {
    sendJson(res, 200, await leave.progress())
    return
  }
  if (req.method !== 'POST') throw methodNotAllowed(req, ['GET', 'POST'])
  const { peerId } = await confirmation(req)
  const self = leave.peerId
  if (peerId !== self) {
    throw new HttpError(409, 'wrong_peer', `this daemon is peer ${self}, not ${String(peerId)}: nothing done`, { peerId: self })
  }
  const refusal = leave.refusal()
  if (refusal !== undefined) throw new HttpError(409, 'cannot_leave', `${refusal}: nothing done`)
  await leave.begin()
  sendJson(res, 202, await leave.progress())
}

/** The JSON body `{"peerId": "…"}`. */
async function confirmation (req: IncomingMessage): Promise<{ peerId: unknown }> {
  const bytes = await readBody(req, MAX_ADMIN_BODY_BYTES)
  let body: unknown
  try {
    body = JSON.parse(new TextDecoder().decode(bytes))
  } catch {
    body = undefined
  }
  if (typeof body !== 'object' || body === null || typeof (body as { peerId?: unknown }).peerId !== 'string') {
    throw new HttpError(400, 'bad_body', 'the body must be JSON {"peerId":"<this daemon\'s peer id>"} (GET /status tells it)')
  }
  return body as { peerId: unknown }
}

async function removeRoute ({ peer }: AdminDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST') throw methodNotAllowed(req, ['POST'])
  const body = await jsonBody(req)
  const encoded = typeof body === 'object' && body !== null ? (body as { removal?: unknown }).removal : undefined
  if (typeof encoded !== 'string') throw new HttpError(400, 'bad_body', 'the body must be JSON {"removal":"<base64url signed removal>"} (ringstore remove makes one)')
  if (!/^[A-Za-z0-9_-]+$/.test(encoded)) throw new HttpError(400, 'bad_removal', 'the removal must be base64url')
  let signed
  try {
    signed = decodeSignedRemoval(new Uint8Array(Buffer.from(encoded, 'base64url')))
  } catch (error) {
    if (error instanceof CodecError) throw new HttpError(400, 'bad_removal', `not a signed removal: ${error.message}`)
    throw error
  }
  if (signed.removal.peer === peer.id) {
    throw new HttpError(409, 'cannot_remove_self', 'this daemon is the member to remove: send the removal to another member: nothing done')
  }
  let fresh: boolean
  try {
    fresh = await peer.remove(signed)
  } catch (error) {
    if (error instanceof InvalidRemovalError) throw new HttpError(400, 'bad_removal', `${error.message}: nothing done`)
    throw error
  }
  sendJson(res, 200, { peer: signed.removal.peer, removedAt: signed.removal.removedAt, fresh })
}

async function jsonBody (req: IncomingMessage): Promise<unknown> {
  const bytes = await readBody(req, MAX_ADMIN_BODY_BYTES)
  try {
    return JSON.parse(new TextDecoder().decode(bytes))
  } catch {
    return undefined
  }
}
