/** A `TypeError` with Node's `ERR_INVALID_ARG_VALUE` code, for options and arguments that are wrong. */
export function invalidArgument(name: string, problem: string): TypeError & { code: 'ERR_INVALID_ARG_VALUE' } {
  const error = new TypeError(`${name} ${problem}`) as TypeError & { code: 'ERR_INVALID_ARG_VALUE' }
  error.code = 'ERR_INVALID_ARG_VALUE'
  return error
}
