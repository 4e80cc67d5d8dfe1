// Small loopback servers for the DPoP tests: a token endpoint that verifies each proof with jose and
// answers what the test says, and resources that do the same. Independent of the reference server.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import { after } from 'node:test'
import { createHash } from 'node:crypto'
import { calculateJwkThumbprint, decodeJwt, EmbeddedJWK, jwtVerify, type JWK, type JWTPayload, type ProtectedHeaderParameters } from 'jose'

/** A DPoP proof as a server saw it, verified with the key in its own header. */
export interface SeenProof {
  readonly header: ProtectedHeaderParameters
  readonly payload: JWTPayload & { htm?: string; htu?: string; nonce?: string; ath?: string }
  readonly jkt: string
}

/** One request as a DPoP test server saw it. */
export interface SeenDpopRequest {
  readonly method: string
  readonly url: string
  readonly headers: IncomingHttpHeaders
  readonly form: URLSearchParams
  /** The verified proof; undefined when the request had none. A proof that does not verify fails the test's request with 599. */
  readonly proof: SeenProof | undefined
  readonly proofText: string | undefined
}

/** What the test answers. */
export interface DpopAnswer {
  status?: number
  headers?: Record<string, string | string[]>
  body?: unknown
  delayMs?: number
}

export type DpopResponder = (request: SeenDpopRequest, index: number) => DpopAnswer

/** Verifies a proof as RFC 9449 §4.3 says a server must: typ, alg, the embedded public key, the signature. */
export async function verifyProof(proof: string): Promise<SeenProof> {
  const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt' })
  const jwk = protectedHeader.jwk as JWK
  for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) if (member in jwk) throw new Error(`the proof's jwk has the private member ${member}`)
  return { header: protectedHeader, payload: payload as SeenProof['payload'], jkt: await calculateJwkThumbprint(jwk, 'sha256') }
}

/** The `ath` a proof for `token` must carry. */
export const athOf = (token: string) => createHash('sha256').update(token).digest('base64url')

/** A loopback server that verifies each request's DPoP proof and answers as `respond` says. */
export async function startDpopServer(respond: DpopResponder) {
  const seen: SeenDpopRequest[] = []
  const server: Server = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => (body += chunk))
    req.on('end', async () => {
      const proofText = typeof req.headers.dpop === 'string' ? req.headers.dpop : undefined
      let proof: SeenProof | undefined
      try {
        proof = proofText === undefined ? undefined : await verifyProof(proofText)
      } catch (error) {
        res.writeHead(599, { 'content-type': 'text/plain' })
        res.end(`bad proof: ${(error as Error).message}`)
        return
      }
      const request: SeenDpopRequest = { method: req.method ?? '', url: req.url ?? '/', headers: req.headers, form: new URLSearchParams(body), proof, proofText }
      seen.push(request)
      const answer = respond(request, seen.length - 1)
      if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs))
      const payload = answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body)
      res.writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...answer.headers })
      res.end(payload)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  return {
    origin,
    seen,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}

/** A DPoP token response. */
export const dpopToken = (token = `tok-${Math.random().toString(36).slice(2)}`, extra: Record<string, unknown> = {}): DpopAnswer => ({
  body: { access_token: token, token_type: 'DPoP', expires_in: 3600, ...extra },
})

/** The `use_dpop_nonce` error of RFC 9449 §8, with `nonce`. */
export const nonceError = (nonce: string): DpopAnswer => ({
  status: 400,
  headers: { 'dpop-nonce': nonce },
  body: { error: 'use_dpop_nonce', error_description: 'Authorization server requires nonce in DPoP proof' },
})

export const decoded = (jwt: string) => decodeJwt(jwt)

/**
 * A `startDpopServer` for one test file: every server it starts is closed after the file's tests.
 * Call it at the top level of the file.
 */
export function dpopServersClosedAfter(): (respond: DpopResponder) => ReturnType<typeof startDpopServer> {
  const closers: Array<() => Promise<void>> = []
  after(async () => {
    await Promise.all(closers.splice(0).map((close) => close()))
  })
  return async (respond) => {
    const started = await startDpopServer(respond)
    closers.push(started.close)
    return started
  }
}
