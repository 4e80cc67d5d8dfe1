// Unknown options are refused (issue: "a new user's first hour"): a misspelt or borrowed option name
// used to be ignored in JavaScript, so `timeout: 5000` silently kept the 10 s default. Each level
// (TokenClient, cache, retry, getToken(), createAuthFetch(), tokenInterceptor()) now throws a coded
// TypeError naming the key and, where one is close, the option meant.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Agent } from 'undici'
import { createAuthFetch, TokenClient, tokenInterceptor, type TokenClientOptions, type TokenSource } from '../../src/index.js'
import { startFixture } from '../helpers/fixtures.js'

const valid: TokenClientOptions = { tokenUrl: 'https://id.example.com/token', clientId: 'svc', clientSecret: 'hunter2-secret' }
const stub: TokenSource = { getToken: async () => ({ accessToken: 'stub-token' }), invalidate: () => {} }
const origins = ['https://api.example.com']

/** Asserts a TypeError with code ERR_INVALID_ARG_VALUE whose message is exactly `message`, or matches it. */
function refusal(message: string | RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof TypeError, `not a TypeError: ${String(error)}`)
    assert.equal((error as { code?: string }).code, 'ERR_INVALID_ARG_VALUE')
    if (typeof message === 'string') assert.equal(error.message, message)
    else assert.match(error.message, message)
    assert.ok(!error.message.includes('hunter2'), 'no option value in the message')
    return true
  }
}

test('TokenClient refuses unknown options at every level, suggesting the one meant', async () => {
  const rows: Array<[Record<string, unknown>, string | RegExp]> = [
    // Names users bring from other libraries.
    [{ timeout: 5000 }, 'timeout is not a TokenClient option; did you mean retry.attemptTimeoutMs?'],
    [{ retries: 5 }, 'retries is not a TokenClient option; did you mean retry.retries?'],
    [{ scopes: ['a'] }, 'scopes is not a TokenClient option; did you mean scope?'],
    [{ secret: 'hunter2' }, 'secret is not a TokenClient option; did you mean clientSecret?'],
    [{ tokenEndpoint: 'https://id.example.com/token' }, 'tokenEndpoint is not a TokenClient option; did you mean tokenUrl?'],
    [{ url: 'https://id.example.com/token' }, 'url is not a TokenClient option; did you mean tokenUrl?'],
    [{ agent: {} }, 'agent is not a TokenClient option; did you mean dispatcher?'],
    [{ cache: { ttl: 60_000 } }, 'cache.ttl is not a TokenClient option; did you mean cache.defaultLifetimeMs?'],
    [{ cache: { max: 10 } }, 'cache.max is not a TokenClient option; did you mean cache.maxEntries?'],
    [{ retry: { maxRetries: 5 } }, 'retry.maxRetries is not a TokenClient option; did you mean retry.retries?'],
    [{ retry: { minTimeout: 5 } }, 'retry.minTimeout is not a TokenClient option; did you mean retry.minDelayMs?'],
    // Misspellings and other spellings, by edit distance without letter case, `_` or `-`.
    [{ clinetId: 'svc' }, 'clinetId is not a TokenClient option; did you mean clientId?'],
    [{ client_secret: 'hunter2' }, 'client_secret is not a TokenClient option; did you mean clientSecret?'],
    [{ audiance: 'x' }, 'audiance is not a TokenClient option; did you mean audience?'],
    [{ userAgnet: 'x' }, 'userAgnet is not a TokenClient option; did you mean userAgent?'],
    [{ cache: { maxEntires: 5 } }, 'cache.maxEntires is not a TokenClient option; did you mean cache.maxEntries?'],
    [{ retry: { deadLineMs: 5 } }, 'retry.deadLineMs is not a TokenClient option; did you mean retry.deadlineMs?'],
    // A nested option given at the top.
    [{ maxEntries: 5 }, 'maxEntries is not a TokenClient option; did you mean cache.maxEntries?'],
    [{ attemptTimeoutMs: 5 }, 'attemptTimeoutMs is not a TokenClient option; did you mean retry.attemptTimeoutMs?'],
    // Nothing close: the options are listed.
    [{ frobnicate: true }, /^frobnicate is not a TokenClient option; the options are tokenUrl, issuer, clientId, clientSecret, .*, clock$/],
    [{ cache: { zzz: 1 } }, 'cache.zzz is not a TokenClient option; the options are maxEntries, defaultLifetimeMs, expiryBufferMs, refreshRatio, refreshJitter'],
    // A key that is not a name is quoted; the value is never shown.
    [{ 'odd key\n': 1 }, /^"odd key\\n" is not a TokenClient option/],
    // A non-object where an options object belongs.
    [{ cache: 5 }, 'cache must be an object'],
    [{ cache: null }, 'cache must be an object'],
    [{ cache: [] }, 'cache must be an object'],
    [{ retry: true }, 'retry must be an object or false'],
    [{ retry: 3 }, 'retry must be an object or false'],
  ]
  for (const [patch, message] of rows) {
    assert.throws(() => new TokenClient({ ...valid, ...patch } as TokenClientOptions), refusal(message), JSON.stringify(patch))
  }
  // The check runs before the others: a misspelt required option is named as misspelt, not as missing.
  const { clientId: _, ...withoutId } = valid
  assert.throws(() => new TokenClient({ ...withoutId, clientID: 'svc' } as unknown as TokenClientOptions), refusal(/^clientID is not a TokenClient option; did you mean clientId\?/))
  // Every known option, at every level, is still accepted.
  const dispatcher = new Agent()
  new TokenClient({
    ...valid,
    authMethod: 'client_secret_post',
    basicEncoding: 'form',
    scope: 'a',
    audience: 'x',
    resource: 'https://api.example.com/',
    params: { anything_goes: 'here' },
    allowInsecureHttp: false,
    dispatcher,
    userAgent: 'svc/1',
    maxResponseBytes: 1024,
    cache: { maxEntries: 5, defaultLifetimeMs: 1, expiryBufferMs: 1, refreshRatio: 0.5, refreshJitter: 0 },
    retry: { retries: 1, minDelayMs: 1, maxDelayMs: 2, factor: 2, attemptTimeoutMs: 1, deadlineMs: 2, maxRetryAfterMs: 3, onRetry: () => {} },
    onRefreshError: () => {},
    clock: { now: () => 0 },
  })
  new TokenClient({ ...valid, retry: false })
  await dispatcher.close()
})

test('getToken() refuses unknown options and non-object options before any request', async () => {
  const f = await startFixture({ throttle: false })
  try {
    const client = f.makeClient()
    const rows: Array<[unknown, string]> = [
      [{ audiance: 'x' }, 'audiance is not a getToken() option; did you mean audience?'],
      [{ forceRefesh: true }, 'forceRefesh is not a getToken() option; did you mean forceRefresh?'],
      [{ scope: 'api:write' }, 'scope is not a getToken() option; did you mean getToken(scope, options)?'],
      [{ timeout: 5000 }, 'timeout is not a getToken() option; did you mean signal: AbortSignal.timeout(ms)?'],
      [{ force: true }, 'force is not a getToken() option; did you mean forceRefresh?'],
      [{ nothingLikeIt: 1 }, 'nothingLikeIt is not a getToken() option; the options are forceRefresh, signal, audience, resource, params'],
      [5000, 'getToken() options must be an object'],
      ['api:write', 'getToken() options must be an object'],
      [null, 'getToken() options must be an object'],
    ]
    for (const [options, message] of rows) {
      await assert.rejects(client.getToken('api:read', options as never), refusal(message), JSON.stringify(options))
    }
    // Also once the scope's token is cached: a call with options never takes the cache-hit path unchecked.
    await client.getToken('api:read')
    await assert.rejects(client.getToken('api:read', { audiance: 'x' } as never), refusal(/^audiance is not a getToken\(\) option/))
    assert.throws(() => client.invalidate('api:read', { audiance: 'x' } as never), refusal(/^audiance is not a getToken\(\) option/))
    assert.equal(f.requests(), 1, 'only the plain call reached the server')
    // Known options still work, undefined values included.
    await client.getToken('api:read', { forceRefresh: true, signal: AbortSignal.timeout(5_000), audience: undefined, resource: undefined, params: undefined })
    assert.equal(f.requests(), 2)
  } finally {
    await f.close()
  }
})

test('createAuthFetch() and tokenInterceptor() refuse unknown options and non-object options', () => {
  const fetchRows: Array<[unknown, string | RegExp]> = [
    [{ origins, orgins: ['https://b.example.com'] }, 'orgins is not a createAuthFetch() option; did you mean origins?'],
    [{ origin: 'https://api.example.com' }, 'origin is not a createAuthFetch() option; did you mean origins?'],
    [{ origins, scopes: 'a' }, 'scopes is not a createAuthFetch() option; did you mean scope?'],
    [{ origins, maxRedirections: 3 }, 'maxRedirections is not a createAuthFetch() option; did you mean maxRedirects?'],
    [{ origins, retryOnUnauthorised: 'never' }, 'retryOnUnauthorised is not a createAuthFetch() option; did you mean retryOnUnauthorized?'],
    [{ origins, client: stub }, 'client is not a createAuthFetch() option; did you mean createAuthFetch(client, options)?'],
    [{ origins, zzz: 1 }, /^zzz is not a createAuthFetch\(\) option; the options are origins, .*fetch, maxRedirects$/],
    [5000, 'createAuthFetch() options must be an object'],
    [undefined, 'createAuthFetch() options must be an object'],
  ]
  for (const [options, message] of fetchRows) {
    assert.throws(() => createAuthFetch(stub, options as never), refusal(message), JSON.stringify(options))
  }
  const interceptorRows: Array<[unknown, string | RegExp]> = [
    [{ client: stub, origins, allowInsecureHTTP: true }, 'allowInsecureHTTP is not a tokenInterceptor() option; did you mean allowInsecureHttp?'],
    [{ tokenClient: stub, origins }, 'tokenClient is not a tokenInterceptor() option; did you mean client?'],
    [{ client: stub, origins, maxRedirects: 3 }, /^maxRedirects is not a tokenInterceptor\(\) option; did you mean interceptors\.redirect/],
    [{ client: stub, origins, fetch: globalThis.fetch }, /^fetch is not a tokenInterceptor\(\) option; the options are /],
    [null, 'tokenInterceptor() options must be an object'],
    [undefined, 'tokenInterceptor() options must be an object'],
  ]
  for (const [options, message] of interceptorRows) {
    assert.throws(() => tokenInterceptor(options as never), refusal(message), JSON.stringify(options))
  }
  // Every known option is still accepted.
  createAuthFetch(stub, {
    origins,
    scope: 'a',
    audience: 'x',
    resource: 'https://api.example.com/',
    params: { tenant: 'acme' },
    allowInsecureHttp: false,
    retryOnUnauthorized: 'never',
    fetch: globalThis.fetch,
    maxRedirects: 3,
  })
  tokenInterceptor({ client: stub, origins, scope: 'a', audience: 'x', resource: 'https://api.example.com/', params: {}, allowInsecureHttp: false, retryOnUnauthorized: 'any-401' })
})
