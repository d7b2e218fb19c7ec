import { describe, it, expect, afterEach } from 'vitest'
import { createServer, connect } from 'node:net'
import type { Server, Socket } from 'node:net'
import type { MessageStream } from '@libp2p/interface'
import { corkPerTurn } from '../src/tcp-cork.js'

const cleanup: Array<() => void> = []
afterEach(() => { for (const fn of cleanup.splice(0)) fn() })

/** A connected client socket and a promise of every byte the server side receives. */
async function socketPair (): Promise<{ client: Socket, received: () => Buffer, server: Server }> {
  const chunks: Buffer[] = []
  const server = createServer((socket) => { socket.on('data', (chunk: Buffer) => { chunks.push(chunk) }) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  const client = connect(port, '127.0.0.1')
  await new Promise<void>((resolve) => client.once('connect', resolve))
  cleanup.push(() => { client.destroy(); server.close() })
  return { client, received: () => Buffer.concat(chunks), server }
}

describe('corkPerTurn', () => {
  it('holds the writes of one turn and sends them together after the turn, bytes unchanged', async () => {
    const { client, received } = await socketPair()
    const connection = corkPerTurn({ socket: client } as unknown as MessageStream)
    expect((connection as unknown as { socket: Socket }).socket).toBe(client)
    client.write(Buffer.from('ab'))
    client.write(Buffer.from('cd'))
    expect(client.writableCorked).toBe(1)
    await new Promise((resolve) => setImmediate(resolve))
    expect(client.writableCorked).toBe(0)
    client.write(Buffer.from('ef'))
    expect(client.writableCorked).toBe(1)
    const until = performance.now() + 5_000
    while (received().toString() !== 'abcdef' && performance.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    expect(received().toString()).toBe('abcdef')
  })

  it('leaves a connection without a TCP socket alone', () => {
    const connection = { send: () => true } as unknown as MessageStream
    expect(corkPerTurn(connection)).toBe(connection)
  })
})
