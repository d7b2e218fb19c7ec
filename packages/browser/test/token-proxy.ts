/**
 * The specs read values through a daemon's HTTP API from the test page (another origin
 * than the daemon's). The API wants the operator's bearer token and refuses foreign
 * origins, and a page never holds the token: so the page talks to this proxy in Node,
 * which plays the part of an operator's backend: it adds the token, drops the page's
 * Origin, and answers the page with CORS headers of its own. Test setup only.
 */
import { createServer } from 'node:http'
import type { Server } from 'node:http'

export interface TokenProxy {
  /** Base URL the page uses instead of the daemon's. */
  readonly url: string
  close (): Promise<void>
}

export async function startTokenProxy (daemon: string, token: string): Promise<TokenProxy> {
  const server: Server = createServer((req, res) => {
    const cors = { 'Access-Control-Allow-Origin': req.headers.origin ?? '*', 'Access-Control-Expose-Headers': 'X-Ringstore-Context' }
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...cors, 'Access-Control-Allow-Methods': 'GET, PUT, DELETE', 'Access-Control-Allow-Headers': 'Content-Type, X-Ringstore-Context' })
      res.end()
      return
    }
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const context = req.headers['x-ringstore-context']
      const headers: Record<string, string> = { Authorization: `Bearer ${token}`, ...(typeof context === 'string' ? { 'X-Ringstore-Context': context } : {}) }
      const body = chunks.length === 0 ? undefined : Buffer.concat(chunks)
      fetch(`${daemon}${req.url ?? '/'}`, { method: req.method ?? 'GET', headers, ...(body === undefined ? {} : { body }) })
        .then(async (reply) => {
          const out: Record<string, string> = { ...cors, 'Content-Type': reply.headers.get('content-type') ?? 'application/octet-stream' }
          const replyContext = reply.headers.get('x-ringstore-context')
          if (replyContext !== null) out['X-Ringstore-Context'] = replyContext
          res.writeHead(reply.status, out)
          res.end(Buffer.from(await reply.arrayBuffer()))
        })
        .catch((error: unknown) => {
          res.writeHead(502, cors)
          res.end(String(error))
        })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('token proxy has no address')
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: async () => { await new Promise((resolve) => server.close(resolve)) }
  }
}
