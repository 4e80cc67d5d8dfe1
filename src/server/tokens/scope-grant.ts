/**
 * What the token endpoint grants for a request's `scope` (RFC 6749 §3.3): every scope the client
 * may have when none is asked for, else the scopes asked for when the client may have each of them.
 * A client asks for the same few scope strings over and over, so each grant is worked out once and
 * remembered per client, for up to {@link REMEMBERED_GRANTS} distinct scope strings.
 */
import type { RegisteredClient } from '../clients/client-registry.js'
import { parseScope } from './scope.js'

/** The scopes granted: distinct, in the order asked (or registered), and as the response's `scope` text. */
export interface GrantedScope {
  readonly scopes: readonly string[]
  /** The scopes joined with single spaces; `''` when none were granted. */
  readonly text: string
}

/** The grant for a `scope`, or why there is none: a scope string that breaks the grammar, or a scope the client may not have. */
export type ScopeGrant = GrantedScope | 'malformed' | 'not-allowed'

/** How many distinct scope strings are remembered per client; grants past it are worked out each time. */
export const REMEMBERED_GRANTS = 64

interface ClientGrants {
  readonly all: GrantedScope
  readonly byScope: Map<string, GrantedScope>
}

const grantsByClient = new WeakMap<RegisteredClient, ClientGrants>()

/**
 * The scopes a client is granted for the `scope` parameter it sent (`undefined` when it sent none).
 *
 * @example
 * grantScope(client, undefined) // { scopes: ['api:read', 'api:write'], text: 'api:read api:write' }
 * grantScope(client, 'api:read api:read') // { scopes: ['api:read'], text: 'api:read' }
 * grantScope(client, 'admin') // 'not-allowed'
 * grantScope(client, 'a  b') // 'malformed'
 */
export function grantScope(client: RegisteredClient, scope: string | undefined): ScopeGrant {
  let grants = grantsByClient.get(client)
  if (grants === undefined) {
    grants = { all: granted(client.scopes), byScope: new Map() }
    grantsByClient.set(client, grants)
  }
  if (scope === undefined) return grants.all
  const known = grants.byScope.get(scope)
  if (known !== undefined) return known
  const requested = parseScope(scope)
  if (requested === undefined) return 'malformed'
  for (const token of requested) if (!client.scopeSet.has(token)) return 'not-allowed'
  const grant = granted(requested)
  if (grants.byScope.size < REMEMBERED_GRANTS) grants.byScope.set(scope, grant)
  return grant
}

function granted(scopes: readonly string[]): GrantedScope {
  return Object.freeze({ scopes: Object.freeze([...scopes]), text: scopes.join(' ') })
}
