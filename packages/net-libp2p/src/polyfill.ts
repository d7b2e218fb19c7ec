/**
 * `Promise.withResolvers` for Node 20: libp2p 3 calls it (it is in Node 22+ and current
 * browsers), and without it `createLibp2p` throws "Promise.withResolvers is not a
 * function". Import this module before anything that imports libp2p.
 */
if (typeof Promise.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T> (): PromiseWithResolvers<T> {
      let resolve!: (value: T | PromiseLike<T>) => void
      let reject!: (reason?: unknown) => void
      const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej })
      return { promise, resolve, reject }
    }
  })
}

export {}
