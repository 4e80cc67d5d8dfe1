// A tiny token endpoint that counts its requests and answers what the test says, for the shared
// cache tests: unlike the reference server it checks no credential, so a test can hand out tokens
// of any lifetime or size (or of whoever asked) and count how many requests a fleet made.
import { createServer } from 'node:http'

/** The answer to request number `n` (1-based), given who asked (the request's `Authorization` header). */
export type TokenResponder = (n: number, authorization: string | undefined) => object

/** A running counting token server, on 127.0.0.1. */
export interface CountingTokenServer {
  /** `http://127.0.0.1:<port>/token` (any path answers alike). */
  readonly tokenUrl: string
  /** How many requests it has answered, or begun to answer, so far. */
  requests(): number
  /** The JSON body of each answer; by default `tok-<n>`, a Bearer token for an hour. */
  respond: TokenResponder
  /** How long each answer is held back, in milliseconds. @default 0 */
  delayMs: number
  /** Puts `respond` and `delayMs` back to their defaults; the count goes on. */
  reset(): void
  /** Stops listening. */
  close(): Promise<void>
}

/** An hour's Bearer token `tok-<n>`: what the server answers until a test says otherwise. */
const DEFAULT_RESPONDER: TokenResponder = (n) => ({ access_token: `tok-${n}`, token_type: 'Bearer', expires_in: 3600 })

/**
 * Starts a counting token server on a free port of 127.0.0.1; it does not hold the process open.
 *
 * @example
 * const tokens = await startCountingTokenServer()
 * tokens.respond = (n) => ({ access_token: `short-${n}`, token_type: 'Bearer', expires_in: 2 })
 * await new TokenClient({ tokenUrl: tokens.tokenUrl, clientId: 'svc', clientSecret: LEAK_PROBE_SECRET }).getToken()
 * tokens.requests() // 1
 */
export async function startCountingTokenServer(): Promise<CountingTokenServer> {
  let count = 0
  const server = createServer((request, response) => {
    request.resume()
    request.on('end', () => {
      count++
      const body = JSON.stringify(tokens.respond(count, request.headers.authorization))
      const answer = () => {
        response.setHeader('content-type', 'application/json')
        response.end(body)
      }
      if (tokens.delayMs > 0) setTimeout(answer, tokens.delayMs)
      else answer()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  server.unref()
  const address = server.address()
  const tokens: CountingTokenServer = {
    tokenUrl: `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/token`,
    requests: () => count,
    respond: DEFAULT_RESPONDER,
    delayMs: 0,
    reset() {
      tokens.respond = DEFAULT_RESPONDER
      tokens.delayMs = 0
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
  return tokens
}
