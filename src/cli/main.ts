import { DEMO_HELP, demoCommand } from './demo-command.js'
import { EXIT, exitCodeFor } from './exit-codes.js'
import { GENERATE_SECRET_HELP, generateSecretCommand } from './generate-secret-command.js'
import { HASH_SECRET_HELP, hashSecretCommand } from './hash-secret-command.js'
import { KEYGEN_HELP, keygenCommand } from './keygen-command.js'
import { processIo, type CommandIo } from './io.js'
import { messageInFlags, SERVE_OPTION_FLAGS, TOKEN_OPTION_FLAGS, type OptionFlags } from './option-flags.js'
import { SERVE_HELP, serveCommand } from './serve-command.js'
import { TOKEN_HELP, tokenCommand } from './token-command.js'
import { PACKAGE_VERSION } from '../version.js'

const HELP = `Usage: oauth2-client-credentials <command> [options]

Commands:
  token    get a client-credentials access token and print it
  serve    run the reference token server, for tests in any language
  demo     show the client and the reference server working together
  keygen   print a new private key (to keep) and its public JWK (to register), for private_key_jwt

Secrets for the reference server's --clients-file:
  generate-secret  print a new client secret and the stored form the file takes
  hash-secret      print the stored form of an existing secret (read from stdin or the environment)

Run 'oauth2-client-credentials <command> --help' for a command's options.
`

interface Command {
  help: string
  run: (args: string[], io: CommandIo) => Promise<void>
  /** How the library options the command sets are spelled as its flags, for its error messages. */
  flags?: OptionFlags
}

const COMMANDS: Record<string, Command> = {
  token: { help: TOKEN_HELP, run: tokenCommand, flags: TOKEN_OPTION_FLAGS },
  serve: { help: SERVE_HELP, run: serveCommand, flags: SERVE_OPTION_FLAGS },
  demo: { help: DEMO_HELP, run: demoCommand },
  keygen: { help: KEYGEN_HELP, run: keygenCommand },
  'generate-secret': { help: GENERATE_SECRET_HELP, run: generateSecretCommand },
  'hash-secret': { help: HASH_SECRET_HELP, run: hashSecretCommand },
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
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined
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
    const message = messageInFlags(error, command.flags ?? {})
    io.err(`oauth2-client-credentials ${name}: ${message.split('\n')[0]}\n`)
    if (code === EXIT.usage) io.err(`run 'oauth2-client-credentials ${name} --help' for usage\n`)
    return code
  }
}
