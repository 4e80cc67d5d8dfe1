// Reading a child process that reports on stdout one JSON value a line (the soak worker, the load
// server).
import type { Readable } from 'node:stream'

/** Calls `listener` with each line of `stream` parsed as JSON, as lines complete. */
export function onJsonLines(stream: Readable, listener: (message: unknown) => void): void {
  let buffered = ''
  stream.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk
    let newline: number
    while ((newline = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, newline)
      buffered = buffered.slice(newline + 1)
      listener(JSON.parse(line))
    }
  })
}
