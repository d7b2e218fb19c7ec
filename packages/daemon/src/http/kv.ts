/**
 * The key-value routes: GET / PUT / DELETE /kv/{key}. The key is the percent-decoded rest
 * of the path (slashes included); contexts travel in the X-Ringstore-Context header as an
 * opaque string sealed for the key (context-seal.ts): one this cluster did not issue for that
 * key is refused with 400 `bad_context`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { validateKey } from '@ringstore/core'
import type { Key, VersionVector } from '@ringstore/core'
import type { GetResult, Peer } from '@ringstore/peer'
import { readBody } from './body.js'
import type { ContextSeal } from './context-seal.js'
import { quorumParams } from './query.js'
import { CONTEXT_HEADER, HttpError, methodNotAllowed, sendEmpty, sendJson, sendValue } from './respond.js'

export interface KvDeps {
  readonly peer: Peer
  /** Largest PUT body in bytes. */
  readonly maxBodyBytes: number
  /** Seals the contexts handed out and checks those handed back. */
  readonly contexts: ContextSeal
}

export const KV_METHODS = ['GET', 'PUT', 'DELETE'] as const

/** node:http lower-cases incoming header names. */
const CONTEXT_HEADER_IN = CONTEXT_HEADER.toLowerCase()

/** The key of `/kv/{key}` (rawKey = the path after `/kv/`), decoded and validated. */
export function decodeKey (rawKey: string): Key {
  let key: string
  try {
    key = decodeURIComponent(rawKey)
  } catch {
    throw new HttpError(400, 'bad_key', 'key is not valid percent-encoding (UTF-8)')
  }
  try {
    return validateKey(key)
  } catch (error) {
    throw new HttpError(400, 'bad_key', error instanceof Error ? error.message : String(error))
  }
}

/** The request's context for `key`: undefined when absent, 400 `bad_context` when unreadable or not sealed for it. */
function readContext (contexts: ContextSeal, req: IncomingMessage, key: Key): VersionVector | undefined {
  const header = req.headers[CONTEXT_HEADER_IN]
  if (header === undefined) return undefined
  if (Array.isArray(header)) throw new HttpError(400, 'bad_context', `${CONTEXT_HEADER} given more than once`)
  return contexts.open(key, header.trim())
}

export async function handleKv (deps: KvDeps, req: IncomingMessage, res: ServerResponse, rawKey: string, query: URLSearchParams): Promise<void> {
  switch (req.method) {
    case 'GET': return await getKey(deps, res, decodeKey(rawKey), query)
    case 'PUT': return await putKey(deps, req, res, decodeKey(rawKey), query)
    case 'DELETE': return await deleteKey(deps, req, res, decodeKey(rawKey), query)
    default: throw methodNotAllowed(req, KV_METHODS)
  }
}

async function getKey (deps: KvDeps, res: ServerResponse, key: Key, query: URLSearchParams): Promise<void> {
  const result = await deps.peer.get(key, quorumParams(query, ['n', 'r']))
  sendRead(res, result, deps.contexts.seal(key, result.context))
}

/** 200 one value, 300 siblings, 404 absent/deleted (with the context when a tombstone is held). */
function sendRead (res: ServerResponse, result: GetResult, context: string): void {
  const only = result.values[0]
  if (!result.found || only === undefined) {
    const headers = result.siblings.length > 0 ? { [CONTEXT_HEADER]: context } : undefined
    sendJson(res, 404, { error: 'not_found', message: result.siblings.length > 0 ? 'deleted' : 'no such key' }, headers)
  } else if (result.values.length === 1) {
    sendValue(res, only, context)
  } else {
    const siblings = result.values.map((value) => ({ value: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') }))
    sendJson(res, 300, { context, siblings }, { [CONTEXT_HEADER]: context })
  }
}

async function putKey (deps: KvDeps, req: IncomingMessage, res: ServerResponse, key: Key, query: URLSearchParams): Promise<void> {
  const options = quorumParams(query, ['n', 'w'])
  const context = readContext(deps.contexts, req, key)
  const value = await readBody(req, deps.maxBodyBytes)
  const result = await deps.peer.put(key, value, context === undefined ? options : { ...options, context })
  sendEmpty(res, 204, deps.contexts.seal(key, result.context))
}

/**
 * A delete must say what it deletes: without a context it would only add a tombstone
 * beside the current values (they stay readable), which is never what a caller means.
 */
async function deleteKey (deps: KvDeps, req: IncomingMessage, res: ServerResponse, key: Key, query: URLSearchParams): Promise<void> {
  const options = quorumParams(query, ['n', 'w'])
  const context = readContext(deps.contexts, req, key)
  if (context === undefined) {
    throw new HttpError(400, 'context_required', `DELETE needs the ${CONTEXT_HEADER} header from a read of the key (it deletes exactly the versions that read saw)`)
  }
  const result = await deps.peer.delete(key, { ...options, context })
  sendEmpty(res, 204, deps.contexts.seal(key, result.context))
}
