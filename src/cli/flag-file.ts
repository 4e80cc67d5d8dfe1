import { readFile } from 'node:fs/promises'
import { UsageError } from './exit-codes.js'

/**
 * The text of the file a flag names, or a usage error naming the flag and the path, never a byte of
 * the file (it may hold a key).
 *
 * @example
 * const cert = await readFlagFile('--tls-cert', values['tls-cert'])
 */
export async function readFlagFile(flag: string, path: string): Promise<string> {
  if (path === '') throw new UsageError(`${flag} must be a file path`)
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    const code = (error as { code?: unknown }).code
    throw new UsageError(`${flag} cannot read ${path}${typeof code === 'string' ? ` (${code})` : ''}`)
  }
}
