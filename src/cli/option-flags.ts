/**
 * The library's option names as the command line spells them, so an error raised by `TokenClient` or
 * `startReferenceServer` ("tokenUrl must use https: ... or with allowInsecureHttp: true") is printed
 * in the flags the user typed ("--token-url must use https: ... or with --allow-insecure-http").
 */

/**
 * Library option names by what the command line calls them. A name may hold `[n]` for any index,
 * and its flag `#n` for that index counted from 1 (`options.clients[n].clientSecret` is
 * `the secret of --client #n`).
 */
export type OptionFlags = Readonly<Record<string, string>>

/** The `TokenClient` options `token` sets, by its flags. */
export const TOKEN_OPTION_FLAGS: OptionFlags = Object.freeze({
  tokenUrl: '--token-url',
  issuer: '--issuer',
  clientId: '--client-id',
  clientSecret: 'the client secret',
  scope: '--scope',
  audience: '--audience',
  resource: '--resource',
  authMethod: '--auth-method',
  privateKey: '--private-key-file',
  keyId: '--key-id',
  signingAlgorithm: '--signing-algorithm',
  certificate: '--certificate-file',
  tls: '--tls-cert',
  'tls.cert': '--tls-cert',
  'tls.key': '--tls-key',
  'tls.ca': '--tls-ca',
  basicEncoding: '--basic-encoding',
  allowInsecureHttp: '--allow-insecure-http',
  'retry.deadlineMs': '--timeout',
  'retry.attemptTimeoutMs': '--timeout',
})

/** The `startReferenceServer` options `serve` sets, by its flags. */
export const SERVE_OPTION_FLAGS: OptionFlags = Object.freeze({
  'options.clients[n].clientId': 'the id of --client #n',
  'options.clients[n].clientSecret': 'the secret of --client #n',
  'options.clients[n].scopes[n]': '--scope',
  'options.clientsFile': '--clients-file',
  'options.host': '--host',
  'options.issuer': '--issuer',
  'options.port': '--port',
  'options.tokenLifetime': '--token-lifetime',
  'options.tokenFormat': '--token-format',
  'options.signingAlgorithm': '--signing-alg',
  'options.logLimit': '--log-limit',
  'options.quirks': '--quirk',
  'options.throttle.maxFailures': '--throttle',
  'options.throttle.windowMs': '--throttle',
  generateClientSecret: 'the generate-secret command',
})

/**
 * The message of `error` in command-line terms. Any error has the option settings the library's
 * hints write rewritten (`basicEncoding: 'raw'` becomes `--basic-encoding raw`, `allowInsecureHttp: true`
 * becomes `--allow-insecure-http`), for camel-case or dotted names only, which no server's
 * `error_description` uses as words. An argument error (`TypeError`, code `ERR_INVALID_ARG_VALUE`)
 * also has every option name rewritten: a camel-case or dotted one anywhere, a plain word (`scope`)
 * only where the message starts with it, since the message may use it as a word further on.
 *
 * @example
 * messageInFlags(invalidArgument('tokenUrl', 'must use https: (..., or with allowInsecureHttp: true)'), TOKEN_OPTION_FLAGS)
 * // '--token-url must use https: (..., or with --allow-insecure-http)'
 */
export function messageInFlags(error: unknown, flags: OptionFlags): string {
  let text = error instanceof Error ? error.message : String(error)
  const argumentError = error instanceof TypeError && (error as { code?: unknown }).code === 'ERR_INVALID_ARG_VALUE'
  // Longest first: `options.clients[n].clientId` before any name it contains.
  for (const option of Object.keys(flags).sort((a, b) => b.length - a.length)) {
    const name = option.split('[n]').map(escapeRegExp).join('\\[\\d+\\]')
    const flag = (written: string): string => flagFor(flags[option] as string, written)
    if (!/[A-Z.[]/.test(option)) {
      if (argumentError) text = text.replace(new RegExp(`^${name}(?![\\w$.[])`), flag)
      continue
    }
    text = text.replace(
      new RegExp(`${NOT_INSIDE_A_NAME}(${name})(?:(:| is)? '([^']*)'|: true\\b)`, 'g'),
      (_match, written: string, is: string | undefined, value: string | undefined) =>
        value === undefined ? flag(written) : `${flag(written)}${is === ' is' ? ' is' : ''} ${value}`,
    )
    if (argumentError) text = text.replace(new RegExp(`${NOT_INSIDE_A_NAME}${name}(?![\\w$])`, 'g'), flag)
  }
  return text
}

// Not the tail of a longer name (`retry.deadlineMs` for `deadlineMs`) or of a flag already written.
const NOT_INSIDE_A_NAME = '(?<![\\w.$\\]-])'

/** The flag for the option as the message wrote it, `#n` numbered from the indexes it held. */
function flagFor(flag: string, written: string): string {
  const numbers = [...written.matchAll(/\[(\d+)\]/g)].map((match) => Number(match[1]) + 1)
  let next = 0
  return flag.replace(/#n/g, () => `#${numbers[next++] ?? '?'}`)
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
