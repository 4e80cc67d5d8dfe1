import { DEMO_HELP, demoCommand } from './demo-command.js'
import { EXIT, exitCodeFor } from './exit-codes.js'
import { processIo, type CommandIo } from './io.js'
import { SERVE_HELP, serveCommand } from './serve-command.js'
import { TOKEN_HELP, tokenCommand } from './token-command.js'
import { PACKAGE_VERSION } from '../version.js'

const HELP = `Usage: oauth2-client-credentials <command> [options]

Commands:
  token    get a client-credentials access token and print it
  serve    run the reference token server, for tests in any language
  demo     show the client and the reference server working together

Run 'oauth2-client-credentials <command> --help' for a command's options.
`

const COMMANDS: Record<string, { help: string; run: (args: string[], io: CommandIo) => Promise<void> }> = {
  token: { help: TOKEN_HELP, run: tokenCommand },
  serve: { help: SERVE_HELP, run: serveCommand },
  demo: { help: DEMO_HELP, run: demoCommand },
}

/** Runs the command line `argv` (without node and the script) and resolves to the exit code. */
export async function main(argv: string[], io: CommandIo = processIo): Promise<number> {
  const [name, ...args] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(HELP)
    return name === undefined ? EXIT.usage : EXIT.ok
  }
  if (name === '--version' || name === '-v') {
    io.out(`${PACKAGE_VERSION}\n`)
    return EXIT.ok
  }
  const command = COMMANDS[name]
  if (command === undefined) {
    io.err(`oauth2-client-credentials: unknown command '${name}'; try --help\n`)
    return EXIT.usage
  }
  if (args.includes('--help') || args.includes('-h')) {
    io.out(command.help)
    return EXIT.ok
  }
  try {
    await command.run(args, io)
    return EXIT.ok
  } catch (error) {
    const code = exitCodeFor(error)
    const message = error instanceof Error ? error.message : String(error)
    io.err(`oauth2-client-credentials ${name}: ${message.split('\n')[0]}\n`)
    if (code === EXIT.usage) io.err(`run 'oauth2-client-credentials ${name} --help' for usage\n`)
    return code
  }
}
