/**
 * Text from outside (an `error_description`, a header value) made safe for a one-line message or a
 * log line: every character outside printable ASCII (%x20-7E) is written as a `\uXXXX` escape, so a
 * CR, LF, NUL or terminal escape sent by a server cannot start a new log line or rewrite a terminal,
 * and text longer than `maxLength` is cut, ending in `...`.
 *
 * @example
 * printableText('bad\r\nINFO fake line') // 'bad\\u000d\\u000aINFO fake line'
 */
export function printableText(text: string, maxLength = 300): string {
  const cut = text.length > maxLength ? `${text.slice(0, maxLength)}...` : text
  return NON_PRINTABLE.test(cut) ? cut.replace(NON_PRINTABLE_ALL, escape) : cut
}

const NON_PRINTABLE = /[^\x20-\x7E]/
const NON_PRINTABLE_ALL = /[^\x20-\x7E]/g

function escape(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`
}
