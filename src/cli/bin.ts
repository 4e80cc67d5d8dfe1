#!/usr/bin/env node
// The `oauth2-client-credentials` command.
import { main } from './main.js'

process.exitCode = await main(process.argv.slice(2))
