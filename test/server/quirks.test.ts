// Quirk profiles: each quirk alone, combined, per client, in the log, and what they leave alone.
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, afterEach, before, describe, test } from 'node:test'
import { QUIRKS, startReferenceServer, type Quirk, type ReferenceServer } from '../../src/server/index.js'
import { SECRET, basic, postForm, postToken, rawBasic } from './helpers.js'

const GRANT = { grant_type: 'client_credentials' }
const asSvc = { authorization: basic('svc', SECRET) }

/** A server with `svc` (scopes api:read, api:write) and the given quirks; closed after the suite. */
function withServer(quirks: Quirk[], register: (server: () => ReferenceServer) => void): void {
  let server: ReferenceServer
  before(async () => {
    server = await startReferenceServer({
      quirks,
      throttle: false,
      clients: [{ clientId: 'svc', clientSecret: SECRET, scopes: ['api:read', 'api:write'] }],
    })
  })
  after(() => server.close())
  afterEach(() => {
    server.log.clear()
    server.faults.clear()
  })
  register(() => server)
}

function form(text: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(text))
}

test('QUIRKS lists every quirk once', () => {
  assert.deepEqual(QUIRKS, [
    'errors-as-400',
    'lowercase-bearer',
    'string-expires-in',
    'no-expires-in',
    'no-scope-echo',
    'raw-basic',
    'form-response',
  ])
  assert.ok(Object.isFrozen(QUIRKS))
})

describe('no quirks (the default)', () => {
  withServer([], (server) => {
    test('a strict answer, and the log has no quirks member', async () => {
      const response = await postToken(server().tokenUrl, { ...GRANT, scope: 'api:read' }, asSvc)
      assert.deepEqual(Object.keys(response.json), ['access_token', 'token_type', 'expires_in', 'scope'])
      assert.equal(response.json['token_type'], 'Bearer')
      assert.equal(response.json['expires_in'], 3600)
      assert.equal('quirks' in (server().log.tokenRequests()[0] ?? {}), false)
    })
  })
})

describe("'errors-as-400'", () => {
  withServer(['errors-as-400'], (server) => {
    test('invalid_client is 400 without a WWW-Authenticate challenge, for Basic and for the body', async () => {
      for (const authorization of [basic('svc', 'wrong'), basic('nobody', 'x')]) {
        const response = await postToken(server().tokenUrl, GRANT, { authorization })
        assert.equal(response.status, 400)
        assert.equal(response.json['error'], 'invalid_client')
        assert.equal(response.headers.get('www-authenticate'), null)
        assert.equal(response.headers.get('cache-control'), 'no-store')
      }
      const post = await postToken(server().tokenUrl, { ...GRANT, client_id: 'svc', client_secret: 'wrong' })
      assert.equal(post.status, 400)
      assert.equal(post.json['error'], 'invalid_client')
      const none = await postToken(server().tokenUrl, GRANT)
      assert.equal(none.status, 400)
      assert.equal(none.json['error'], 'invalid_client')
      const entries = server().log.tokenRequests()
      assert.deepEqual(entries.map((entry) => entry.status), [400, 400, 400, 400])
      assert.deepEqual(entries[0]?.quirks, ['errors-as-400'])
    })

    test('every other error status is 400 too; other headers stay; 400 errors are unchanged', async () => {
      const get = await fetch(server().tokenUrl)
      assert.equal(get.status, 400)
      assert.equal(get.headers.get('allow'), 'POST')
      assert.equal(((await get.json()) as { error: string }).error, 'invalid_request')
      const scope = await postToken(server().tokenUrl, { ...GRANT, scope: 'admin' }, asSvc)
      assert.equal(scope.status, 400)
      assert.equal(scope.json['error'], 'invalid_scope')
      assert.equal((await postToken(server().tokenUrl, GRANT, asSvc)).status, 200)
    })

    test('the throttle answers 400 with Retry-After instead of 429', async () => {
      const throttled = await startReferenceServer({
        quirks: ['errors-as-400'],
        throttle: { maxFailures: 1, windowMs: 60_000 },
        clients: [{ clientId: 'svc', clientSecret: SECRET, scopes: [] }],
      })
      try {
        assert.equal((await postToken(throttled.tokenUrl, GRANT, { authorization: basic('svc', 'no') })).status, 400)
        const response = await postToken(throttled.tokenUrl, GRANT, asSvc)
        assert.equal(response.status, 400)
        assert.equal(response.json['error'], 'invalid_client')
        assert.ok(Number(response.headers.get('retry-after')) >= 1)
      } finally {
        await throttled.close()
      }
    })

    test('faults are applied as scripted: a 503 stays 503', async () => {
      server().faults.add({ type: 'status', status: 503 })
      assert.equal((await postToken(server().tokenUrl, GRANT, asSvc)).status, 503)
      const [entry] = server().log.tokenRequests()
      assert.equal(entry?.fault, 'status')
      assert.equal(entry?.quirks, undefined, 'the fault replaced the answer')
    })

    test('introspection and revocation stay strict: 401 for a wrong secret', async () => {
      const introspect = await postForm(server().introspectionUrl, { token: 'x' }, { authorization: basic('svc', 'no') })
      assert.equal(introspect.status, 401)
      assert.match(introspect.headers.get('www-authenticate') ?? '', /^Basic /)
      const revoke = await postForm(server().revocationUrl, { token: 'x' }, { authorization: basic('svc', 'no') })
      assert.equal(revoke.status, 401)
    })
  })
})

describe("'lowercase-bearer'", () => {
  withServer(['lowercase-bearer'], (server) => {
    test('token_type is bearer; everything else as usual', async () => {
      const response = await postToken(server().tokenUrl, { ...GRANT, scope: 'api:read' }, asSvc)
      assert.equal(response.json['token_type'], 'bearer')
      assert.equal(response.json['expires_in'], 3600)
      assert.equal(response.json['scope'], 'api:read')
      assert.deepEqual(server().log.tokenRequests()[0]?.quirks, ['lowercase-bearer'])
    })
  })
})

describe("'string-expires-in'", () => {
  withServer(['string-expires-in'], (server) => {
    test('expires_in is a numeric string', async () => {
      const response = await postToken(server().tokenUrl, GRANT, asSvc)
      assert.equal(response.json['expires_in'], '3600')
      assert.match(response.text, /"expires_in":"3600"/)
    })
  })
})

describe("'no-expires-in'", () => {
  withServer(['no-expires-in'], (server) => {
    test('expires_in is left out; the token still expires after the lifetime', async () => {
      const response = await postToken(server().tokenUrl, GRANT, asSvc)
      assert.equal(response.status, 200)
      assert.equal('expires_in' in response.json, false)
      const record = server().tokens.get(response.json['access_token'] as string, Date.now())
      assert.ok(record !== undefined && record.expiresAt - record.issuedAt === 3_600_000)
    })
  })
})

describe("'no-scope-echo'", () => {
  withServer(['no-scope-echo'], (server) => {
    test('scope is never sent, even when the grant differs from the request', async () => {
      const asked = await postToken(server().tokenUrl, { ...GRANT, scope: 'api:read' }, asSvc)
      assert.equal('scope' in asked.json, false)
      const defaulted = await postToken(server().tokenUrl, GRANT, asSvc)
      assert.equal('scope' in defaulted.json, false)
      const record = server().tokens.get(defaulted.json['access_token'] as string, Date.now())
      assert.deepEqual(record?.scope, ['api:read', 'api:write'], 'granted all the same')
    })
  })
})

describe("'raw-basic'", () => {
  withServer(['raw-basic'], (server) => {
    test('raw Basic credentials authenticate; the secret is everything after the first colon', async () => {
      const response = await postToken(server().tokenUrl, GRANT, { authorization: rawBasic('svc', SECRET) })
      assert.equal(response.status, 200)
      const [entry] = server().log.tokenRequests()
      assert.equal(entry?.authMethod, 'client_secret_basic')
      assert.equal(entry?.clientId, 'svc')
      assert.deepEqual(entry?.quirks, ['raw-basic'])
    })

    test('form-encoded credentials are compared as sent, so a secret that encoding changes fails', async () => {
      const response = await postToken(server().tokenUrl, GRANT, asSvc)
      assert.equal(response.status, 401)
      assert.equal(response.json['error'], 'invalid_client')
      assert.equal(server().log.tokenRequests()[0]?.basicFormEncoded, true, 'the log hints at the encoding')
    })

    test('a % that is no valid escape is an ordinary character, not invalid_request', async () => {
      const own = await startReferenceServer({
        quirks: ['raw-basic'],
        clients: [{ clientId: 'legacy', clientSecret: '100%zz+1 a:b', scopes: [] }],
      })
      try {
        const ok = await postToken(own.tokenUrl, GRANT, { authorization: rawBasic('legacy', '100%zz+1 a:b') })
        assert.equal(ok.status, 200)
        const wrong = await postToken(own.tokenUrl, GRANT, { authorization: rawBasic('legacy', '%E0%A4%A') })
        assert.equal(wrong.status, 401)
        assert.equal(wrong.json['error'], 'invalid_client')
        assert.equal(own.log.tokenRequests()[0]?.basicFormEncoded, false)
      } finally {
        await own.close()
      }
    })

    test('client_secret_post is form-decoded as always', async () => {
      const response = await postToken(server().tokenUrl, { ...GRANT, client_id: 'svc', client_secret: SECRET })
      assert.equal(response.status, 200)
    })
  })
})

describe("'form-response'", () => {
  withServer(['form-response'], (server) => {
    test('a success body is application/x-www-form-urlencoded, whatever Accept says', async () => {
      const response = await postToken(server().tokenUrl, { ...GRANT, scope: 'api:read api:write' }, {
        ...asSvc,
        headers: { accept: 'application/json' },
      })
      assert.equal(response.status, 200)
      assert.equal(response.headers.get('content-type'), 'application/x-www-form-urlencoded')
      assert.equal(response.headers.get('cache-control'), 'no-store')
      assert.equal(response.headers.get('pragma'), 'no-cache')
      const fields = form(response.text)
      assert.deepEqual(Object.keys(fields), ['access_token', 'token_type', 'expires_in', 'scope'])
      assert.equal(fields['token_type'], 'Bearer')
      assert.equal(fields['expires_in'], '3600')
      assert.equal(fields['scope'], 'api:read api:write')
      assert.match(response.text, /scope=api%3Aread\+api%3Awrite/)
      assert.ok(server().tokens.get(fields['access_token'] as string, Date.now()))
    })

    test('error bodies are form-encoded too, with their usual status and headers', async () => {
      const scope = await postToken(server().tokenUrl, { ...GRANT, scope: 'admin' }, asSvc)
      assert.equal(scope.status, 400)
      assert.equal(scope.headers.get('content-type'), 'application/x-www-form-urlencoded')
      assert.deepEqual(form(scope.text), { error: 'invalid_scope', error_description: 'scope not allowed for this client' })
      const client = await postToken(server().tokenUrl, GRANT, { authorization: basic('svc', 'no') })
      assert.equal(client.status, 401)
      assert.match(client.headers.get('www-authenticate') ?? '', /^Basic realm=/)
      assert.equal(form(client.text)['error'], 'invalid_client')
    })

    test('a token fault merges into the form; truncate cuts it', async () => {
      server().faults.add({ type: 'token', fields: { expires_in: undefined, extra: 42 } })
      const merged = await postToken(server().tokenUrl, GRANT, asSvc)
      assert.equal(form(merged.text)['extra'], '42')
      assert.equal('expires_in' in form(merged.text), false)
      server().faults.add({ type: 'truncate' })
      const response = await fetch(server().tokenUrl, {
        method: 'POST',
        headers: { ...asSvc, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      })
      assert.equal(response.headers.get('content-type'), 'application/x-www-form-urlencoded')
      await assert.rejects(response.text(), TypeError)
    })
  })
})

describe('quirks combined', () => {
  withServer(['no-scope-echo', 'form-response', 'errors-as-400', 'lowercase-bearer', 'no-expires-in', 'string-expires-in'], (server) => {
    test('each applies; no-expires-in wins over string-expires-in; the log lists them in QUIRKS order', async () => {
      const response = await postToken(server().tokenUrl, { ...GRANT, scope: 'api:read' }, asSvc)
      assert.deepEqual(Object.keys(form(response.text)), ['access_token', 'token_type'])
      assert.equal(form(response.text)['token_type'], 'bearer')
      const refused = await postToken(server().tokenUrl, GRANT, { authorization: basic('svc', 'no') })
      assert.equal(refused.status, 400)
      assert.equal(form(refused.text)['error'], 'invalid_client')
      const [entry] = server().log.tokenRequests()
      assert.deepEqual(entry?.quirks, [
        'errors-as-400',
        'lowercase-bearer',
        'string-expires-in',
        'no-expires-in',
        'no-scope-echo',
        'form-response',
      ])
    })

    test('a token fault overrides what the quirks set', async () => {
      server().faults.add({ type: 'token', fields: { token_type: 'Bearer', expires_in: 60 } })
      const fields = form((await postToken(server().tokenUrl, GRANT, asSvc)).text)
      assert.equal(fields['token_type'], 'Bearer')
      assert.equal(fields['expires_in'], '60')
    })
  })
})

describe('per-client quirks', () => {
  let server: ReferenceServer
  before(async () => {
    server = await startReferenceServer({
      quirks: ['errors-as-400', 'lowercase-bearer'],
      throttle: false,
      clients: [
        { clientId: 'server-default', clientSecret: SECRET, scopes: ['a'] },
        { clientId: 'strict', clientSecret: SECRET, scopes: ['a'], quirks: [] },
        { clientId: 'raw', clientSecret: SECRET, scopes: ['a'], quirks: ['raw-basic', 'string-expires-in'] },
        { clientId: 'a+b c%', clientSecret: SECRET, scopes: ['a'], quirks: [] },
      ],
    })
  })
  after(() => server.close())

  test("a client's quirks replace the server's, and the log says which applied", async () => {
    const byDefault = await postToken(server.tokenUrl, GRANT, { authorization: basic('server-default', SECRET) })
    assert.equal(byDefault.json['token_type'], 'bearer')
    const strict = await postToken(server.tokenUrl, GRANT, { authorization: basic('strict', SECRET) })
    assert.equal(strict.json['token_type'], 'Bearer')
    assert.equal(strict.json['expires_in'], 3600)
    const raw = await postToken(server.tokenUrl, GRANT, { authorization: rawBasic('raw', SECRET) })
    assert.equal(raw.json['token_type'], 'Bearer')
    assert.equal(raw.json['expires_in'], '3600')
    assert.deepEqual(
      server.log.tokenRequests().map((entry) => entry.quirks),
      [['errors-as-400', 'lowercase-bearer'], undefined, ['string-expires-in', 'raw-basic']],
    )
  })

  test('the claimed client id decides, before its secret is checked; an unknown id gets the server quirks', async () => {
    const strict = await postToken(server.tokenUrl, GRANT, { authorization: basic('strict', 'wrong') })
    assert.equal(strict.status, 401)
    assert.match(strict.headers.get('www-authenticate') ?? '', /^Basic /)
    const unknown = await postToken(server.tokenUrl, GRANT, { authorization: basic('nobody', 'wrong') })
    assert.equal(unknown.status, 400)
    const defaulted = await postToken(server.tokenUrl, GRANT, { authorization: basic('server-default', 'wrong') })
    assert.equal(defaulted.status, 400)
  })

  test('an id that form-encoding changes is still found when its client decodes Basic', async () => {
    const response = await postToken(server.tokenUrl, GRANT, { authorization: basic('a+b c%', SECRET) })
    assert.equal(response.status, 200)
    assert.equal(response.json['token_type'], 'Bearer')
  })

  test('a raw-basic client that sends form-encoded credentials fails', async () => {
    const response = await postToken(server.tokenUrl, GRANT, { authorization: basic('raw', SECRET) })
    assert.equal(response.status, 401)
    assert.equal(response.json['error'], 'invalid_client')
  })
})

test('raw-basic server-wide, a strict client with an id that form-encoding changes still decodes', async () => {
  const server = await startReferenceServer({
    quirks: ['raw-basic'],
    clients: [
      { clientId: 'svc', clientSecret: SECRET, scopes: [] },
      { clientId: 'a+b c%', clientSecret: SECRET, scopes: [], quirks: [] },
    ],
  })
  try {
    assert.equal((await postToken(server.tokenUrl, GRANT, { authorization: rawBasic('svc', SECRET) })).status, 200)
    assert.equal((await postToken(server.tokenUrl, GRANT, { authorization: basic('a+b c%', SECRET) })).status, 200)
    // Its raw id names it, so it is decoded: the lone % is a bad escape, and no client id is known.
    const bad = await postToken(server.tokenUrl, GRANT, { authorization: rawBasic('a+b c%', SECRET) })
    assert.equal(bad.status, 400)
    assert.equal(bad.json['error'], 'invalid_request')
    assert.deepEqual(
      server.log.tokenRequests().map((entry) => [entry.clientId, entry.quirks]),
      [
        ['svc', ['raw-basic']],
        ['a+b c%', undefined],
        [undefined, ['raw-basic']],
      ],
    )
  } finally {
    await server.close()
  }
})

test('a clients file may give a client its quirks', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'occ-quirks-'))
  const file = join(dir, 'clients.json')
  await writeFile(file, JSON.stringify({ clients: [{ clientId: 'filed', clientSecret: 'x', scopes: [], quirks: ['lowercase-bearer'] }] }))
  const server = await startReferenceServer({ clientsFile: file })
  try {
    const response = await postToken(server.tokenUrl, GRANT, { authorization: basic('filed', 'x') })
    assert.equal(response.json['token_type'], 'bearer')
  } finally {
    await server.close()
    await rm(dir, { recursive: true })
  }
})

test('invalid quirks are refused with ERR_INVALID_ARG_VALUE naming the option', async () => {
  const clients = [{ clientId: 'svc', clientSecret: SECRET, scopes: [] }]
  const cases: [unknown, RegExp][] = [
    [{ clients, quirks: ['no-such-quirk'] }, /options\.quirks/],
    [{ clients, quirks: 'errors-as-400' }, /options\.quirks/],
    [{ clients: [{ ...clients[0], quirks: ['Lowercase-Bearer'] }] }, /options\.clients\[0\]\.quirks/],
    [{ clients: [{ ...clients[0], quirks: null }] }, /options\.clients\[0\]\.quirks/],
  ]
  for (const [options, name] of cases) {
    await assert.rejects(
      startReferenceServer(options as Parameters<typeof startReferenceServer>[0]),
      (error: unknown) => {
        assert.ok(error instanceof TypeError)
        assert.equal((error as TypeError & { code: string }).code, 'ERR_INVALID_ARG_VALUE')
        assert.match(error.message, name)
        return true
      },
      JSON.stringify(options),
    )
  }
})
