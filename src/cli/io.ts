/** What a command reads and writes, so tests can run commands in-process as well as in a child process. */
export interface CommandIo {
  out(text: string): void
  err(text: string): void
  env: NodeJS.ProcessEnv
  stdin: AsyncIterable<Buffer | string>
}

/** The real process's streams. */
export const processIo: CommandIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
  stdin: process.stdin,
}
