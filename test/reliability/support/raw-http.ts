// Raw HTTP/1.1 over node:net, for requests no HTTP client would send, sent slowly if asked, and a
// strict reading of the answer: interim 1xx skipped, body framed by Content-Length or chunked.
import { connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

/** One parsed answer. */
export interface RawAnswer {
  status: number
  /** Header names lower-cased; repeated ones joined with ', '. */
  headers: Record<string, string>
  body: Buffer
  /** Interim (1xx) responses that came first. */
  interim: number[]
}

/** What came back on a connection: an answer, or the connection closing (or timing out) without one. */
export type RawOutcome = { kind: 'answer'; answer: RawAnswer; raw: string } | { kind: 'closed'; raw: string } | { kind: 'timeout'; raw: string }

/**
 * Parses the first complete final response in `data`; `undefined` while incomplete. Throws when the
 * bytes cannot be an HTTP/1.1 response.
 */
export function parseAnswer(data: Buffer, closed: boolean, headRequest: boolean): RawAnswer | undefined {
  const interim: number[] = []
  let offset = 0
  for (;;) {
    const end = data.indexOf('\r\n\r\n', offset)
    if (end === -1) {
      if (closed) throw new Error(`incomplete head: ${JSON.stringify(data.subarray(offset, offset + 200).toString('latin1'))}`)
      return undefined
    }
    const [statusLine = '', ...lines] = data.subarray(offset, end).toString('latin1').split('\r\n')
    const match = /^HTTP\/1\.[01] (\d{3}) [^\r\n]*$/.exec(statusLine)
    if (!match) throw new Error(`malformed status line: ${JSON.stringify(statusLine)}`)
    const status = Number(match[1])
    const headers: Record<string, string> = {}
    for (const line of lines) {
      const colon = line.indexOf(':')
      if (colon <= 0) throw new Error(`malformed header line: ${JSON.stringify(line)}`)
      const name = line.slice(0, colon).trim().toLowerCase()
      const value = line.slice(colon + 1).trim()
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`
    }
    const bodyStart = end + 4
    if (status >= 100 && status < 200) {
      interim.push(status)
      offset = bodyStart
      continue
    }
    if (headRequest || status === 204 || status === 304) return { status, headers, body: Buffer.alloc(0), interim }
    if (headers['transfer-encoding'] !== undefined) {
      if (!/(^|,)\s*chunked\s*$/i.test(headers['transfer-encoding'])) throw new Error(`unexpected transfer-encoding ${headers['transfer-encoding']}`)
      const chunks: Buffer[] = []
      let at = bodyStart
      for (;;) {
        const lineEnd = data.indexOf('\r\n', at)
        if (lineEnd === -1) return closed ? failIncomplete('chunk size') : undefined
        const size = Number.parseInt(data.subarray(at, lineEnd).toString('latin1'), 16)
        if (!Number.isFinite(size)) throw new Error('malformed chunk size')
        if (size === 0) {
          if (data.indexOf('\r\n\r\n', lineEnd) === -1 && data.indexOf('\r\n', lineEnd + 2) === -1) return closed ? failIncomplete('last chunk') : undefined
          return { status, headers, body: Buffer.concat(chunks), interim }
        }
        if (data.length < lineEnd + 2 + size + 2) return closed ? failIncomplete('chunk') : undefined
        chunks.push(data.subarray(lineEnd + 2, lineEnd + 2 + size))
        at = lineEnd + 2 + size + 2
      }
    }
    if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length'])
      if (!Number.isSafeInteger(length) || length < 0) throw new Error(`malformed content-length ${headers['content-length']}`)
      if (data.length < bodyStart + length) return closed ? failIncomplete('body') : undefined
      return { status, headers, body: data.subarray(bodyStart, bodyStart + length), interim }
    }
    // Delimited by the connection closing.
    return closed ? { status, headers, body: data.subarray(bodyStart), interim } : undefined
  }
}

function failIncomplete(what: string): never {
  throw new Error(`connection closed in the middle of the ${what}`)
}

export interface SendOptions {
  /** Where to split the request into pieces written one after another, as fractions of its length. @default [] */
  splitAt?: readonly number[]
  /** Wait between pieces, ms. @default 0 */
  pauseMs?: number
  /** Give up after this long. @default 5_000 */
  timeoutMs?: number
  /** The request was HEAD: the answer has no body. */
  head?: boolean
  /** Half-close the socket once the request is written. @default false */
  end?: boolean
}

/**
 * Sends `request` over a new connection, in pieces if asked, and resolves with the first final
 * answer (the socket is then destroyed), or with how the connection ended without one.
 */
export function sendRaw(port: number, request: Buffer, options: SendOptions = {}): Promise<RawOutcome> {
  const { splitAt = [], pauseMs = 0, timeoutMs = 5_000, head = false, end = false } = options
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host: '127.0.0.1', port })
    let data = Buffer.alloc(0)
    let settled = false
    const finish = (outcome: RawOutcome | Error): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      if (outcome instanceof Error) reject(outcome)
      else resolve(outcome)
    }
    const timer = setTimeout(() => finish({ kind: 'timeout', raw: data.toString('latin1') }), timeoutMs)
    const tryParse = (closed: boolean): void => {
      try {
        const answer = parseAnswer(data, closed, head)
        if (answer !== undefined) finish({ kind: 'answer', answer, raw: data.toString('latin1') })
        else if (closed) finish({ kind: 'closed', raw: '' })
      } catch (error) {
        finish(error instanceof Error ? new Error(`${error.message}; got ${JSON.stringify(data.toString('latin1').slice(0, 300))}`) : new Error(String(error)))
      }
    }
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk])
      tryParse(false)
    })
    socket.on('error', () => {})
    socket.on('close', () => (data.length === 0 ? finish({ kind: 'closed', raw: '' }) : tryParse(true)))
    void (async () => {
      const cuts = [...new Set(splitAt.map((share) => Math.floor(share * request.length)))].sort((a, b) => a - b)
      let from = 0
      for (const cut of [...cuts, request.length]) {
        if (socket.destroyed) return
        socket.write(request.subarray(from, cut))
        from = cut
        if (pauseMs > 0 && cut < request.length) await sleep(pauseMs)
      }
      if (end && !socket.destroyed) socket.end()
    })()
  })
}
