// One Redis command over a connection of its own, without a Redis driver: how the code that runs
// redis-server (the fleet demo, the benchmark, the tests' helpers) checks that a server answers,
// empties it or reads its INFO, adding nothing to the connections under test. It reads as much of
// RESP as that needs: a simple string, an error, an integer, a bulk string, and an array's count.
import { connect } from 'node:net'

/** Where a redis-server listens. */
export interface RedisAddress {
  readonly host: string
  readonly port: number
}

/** One reply, as it came. */
export interface RedisReply {
  /**
   * Its RESP type: `+` a simple string, `-` an error, `:` an integer, `$` a bulk string, `*` an
   * array (whose elements are not read).
   */
  readonly type: string
  /** What follows the type: the string, the error, the digits, the bulk string ('' for a null one), or the array's count. */
  readonly text: string
}

/**
 * Sends `args` as one command over a new connection and resolves with the reply; rejects when the
 * connection fails, closes first, or no whole reply comes within `timeoutMs`. An error reply
 * resolves (as type `-`): what it means is the caller's to say.
 *
 * @example
 * await sendRedisCommand({ host: '127.0.0.1', port: 6379 }, ['PING']) // { type: '+', text: 'PONG' }
 */
export function sendRedisCommand(address: RedisAddress, args: readonly string[], timeoutMs = 2_000): Promise<RedisReply> {
  const { host, port } = address
  return new Promise((resolve, reject) => {
    const socket = connect(port, host)
    let data = Buffer.alloc(0)
    const finish = (error: Error | undefined, reply?: RedisReply) => {
      clearTimeout(timer)
      socket.destroy()
      if (error === undefined) resolve(reply ?? { type: '', text: '' })
      else reject(error)
    }
    const timer = setTimeout(() => finish(new Error(`no reply to ${args[0]} from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs)
    socket.once('error', (error) => finish(error))
    socket.once('close', () => finish(new Error(`${host}:${port} closed the connection`)))
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk])
      const reply = completeReply(data)
      if (reply !== undefined) finish(undefined, reply)
    })
    socket.write(`*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`)
  })
}

/** The reply in `data` once it is whole; `undefined` while more is to come. */
function completeReply(data: Buffer): RedisReply | undefined {
  const lineEnd = data.indexOf('\r\n')
  if (lineEnd === -1) return undefined
  const line = data.subarray(0, lineEnd).toString('utf8')
  const type = line.slice(0, 1)
  if (type !== '$') return { type, text: line.slice(1) }
  const length = Number(line.slice(1))
  if (length < 0) return { type, text: '' }
  const start = lineEnd + 2
  return data.length >= start + length + 2 ? { type, text: data.subarray(start, start + length).toString('utf8') } : undefined
}
