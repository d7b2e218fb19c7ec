/**
 * What a protocol is. Each request type the peers exchange has one file in this folder
 * holding both of its halves: how this peer serves it (`serve`) and the call that asks it
 * of another peer (`ask…`), plus one declaration of who may call it (`callers`). The router
 * (router.ts) enforces that declaration in one place, before any protocol code runs, so
 * adding a protocol, or changing who may call one, touches one file.
 */
import type { PeerId, Request, Response } from '@ringstore/core'

/**
 * What the caller of a request is to this peer. Members own partitions and run the
 * replication protocols; clients (browser tabs) coordinate their own reads and writes;
 * everyone else is an outsider.
 */
export type CallerRole = 'member' | 'client' | 'outsider'

/** Who may call a protocol: members only, members and clients, or anyone who can reach us. */
export type Callers = 'member' | 'client' | 'any'

/** Whether a caller of `role` may call a protocol open to `callers`. */
export function mayCall (callers: Callers, role: CallerRole): boolean {
  switch (callers) {
    case 'any': return true
    case 'client': return role === 'member' || role === 'client'
    case 'member': return role === 'member'
  }
}

export type RequestType = Request['type']

/** The request variant whose `type` is `T`. */
export type RequestOf<T extends RequestType> = Extract<Request, { readonly type: T }>

/**
 * One protocol: the request type it answers, who may call it, and how it is served with
 * the services `D` it uses (a subset of router.ts's ProtocolServices: each protocol says
 * exactly what it touches). `serve` may throw: the router turns errors into error replies.
 */
export interface Protocol<T extends RequestType, D> {
  readonly type: T
  readonly callers: Callers
  serve(services: D, request: RequestOf<T>, from: PeerId): Response | Promise<Response>
}

/** A request that fails its checks: answered `bad-request` and counted as an invalid frame. */
export class BadRequestError extends Error {
  static override name = 'BadRequestError'
  override name = 'BadRequestError'
}
