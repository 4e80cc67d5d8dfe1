// The floor of the client sections: a hand-written token getter, as little as any cached,
// single-flight client must do.
import { request } from 'undici'
import { BASIC_AUTHORIZATION, CLIENT_ID, CLIENT_SECRET } from '../../config.js'
import type { Client, ClientAdapter } from './client.js'

/** One raw token request: the floor of a fresh acquisition. */
export async function rawTokenRequest(tokenUrl: string, authorization: string, scope: string): Promise<string> {
  const { statusCode, body } = await request(tokenUrl, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: `grant_type=client_credentials&scope=${encodeURIComponent(scope)}`,
  })
  const json = (await body.json()) as { access_token?: unknown }
  if (statusCode !== 200 || typeof json.access_token !== 'string') {
    throw new Error(`the server answered the token request ${statusCode} ${JSON.stringify(json).slice(0, 200)}`)
  }
  return json.access_token
}

function basic(clientId: string): string {
  return clientId === CLIENT_ID
    ? BASIC_AUTHORIZATION
    : `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${CLIENT_SECRET}`).toString('base64')}`
}

export const floor = {
  id: 'floor',
  label: 'floor: Map + raw undici.request',
  caches: true,
  how:
    'Hand-written: an async function returning the token from a `Map<scope, token>`; on a miss one raw ' +
    '`undici.request` POST (Basic, form body, `body.json()`) shared by concurrent callers through a `Map` of promises.',
  create(server, { clientId }): ClientAdapter {
    const authorization = basic(clientId)
    const tokens = new Map<string, string>()
    const pending = new Map<string, Promise<string>>()
    const fetchToken = (scope: string): Promise<string> => {
      let promise = pending.get(scope)
      if (promise === undefined) {
        promise = rawTokenRequest(server.tokenUrl, authorization, scope).then(
          (token) => {
            pending.delete(scope)
            tokens.set(scope, token)
            return token
          },
          (error: unknown) => {
            pending.delete(scope)
            throw error
          },
        )
        pending.set(scope, promise)
      }
      return promise
    }
    async function get(scope: string): Promise<string> {
      const token = tokens.get(scope)
      if (token !== undefined) return token
      return fetchToken(scope)
    }
    return {
      get,
      fresh: (scope) => rawTokenRequest(server.tokenUrl, authorization, scope),
      tokenOf: (result) => result as string,
      close: async () => {},
    }
  },
} as const satisfies Client
