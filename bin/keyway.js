#!/usr/bin/env node
// Entry point installed as `keyway`; the CLI itself is compiled TypeScript (npx tsc -p .).
import { main } from '../dist/src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
