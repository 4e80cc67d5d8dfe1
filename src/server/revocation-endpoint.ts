/**
 * Token revocation (RFC 7009, checklist item 31): POST `/revoke` with `token=...`; the caller
 * authenticates as at the token endpoint. The answer is `200` with an empty body whether the token
 * was revoked, unknown, expired, or issued to another client; only in the first case is anything
 * revoked. `token_type_hint` is ignored (§2.1 allows that).
 *
 * Checks run in this order: the form and the caller's authentication as at the token endpoint
 * (405, 413, 400, 401, 429) → `token` present (400 `invalid_request`) → 200.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import {
  authenticateCaller,
  callerCredentials,
  failWith,
  readAuthenticatedForm,
  TOKEN_SUBJECT_RULES,
} from './authenticated-form.js'
import { firstValue } from './form-body.js'
import { sendRaw } from './responses.js'
import type { PendingEntry, ServerContext } from './server-context.js'

/**
 * Handles one revocation request and fills in `entry`. A client may revoke only its own tokens:
 * another client's token is left alone and the answer is the same `200` as for an unknown token,
 * so a client cannot learn that someone else's token exists. The token is never logged.
 *
 * @example
 * await handleRevocationRequest(context, req, res, entry, query)
 */
export async function handleRevocationRequest(
  context: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  entry: PendingEntry,
  query: string | undefined,
): Promise<void> {
  const params = await readAuthenticatedForm(context, req, res, entry, query, TOKEN_SUBJECT_RULES)
  if (params === undefined) return
  const client = authenticateCaller(context, res, entry, callerCredentials(req, params, entry))
  if (client === undefined) return
  const token = firstValue(params, 'token')
  if (token === undefined) return failWith(res, entry)(400, 'invalid_request', 'token is required')

  const record = context.tokens.get(token, context.clock.now())
  if (record !== undefined && record.clientId === client.clientId) context.tokens.delete(token)
  entry.status = 200
  sendRaw(res, 200, '', undefined)
}
