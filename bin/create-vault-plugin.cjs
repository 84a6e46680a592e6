#!/usr/bin/env node
'use strict';
// The two most common quick questions are answered without loading the CLI's code.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

// A reader that went away (`| head`) is not an error worth a stack trace.
process.stdout.on('error', () => {});
const [first, ...rest] = process.argv.slice(2);
if (rest.length === 0 && (first === '--version' || first === '-V' || first === '-v')) {
  process.stdout.write(`${JSON.parse(readFileSync(join(__dirname, '../package.json'), 'utf8')).version}\n`);
} else if (rest.length === 0 && (first === '--help' || first === '-h')) {
  process.stdout.write(readFileSync(join(__dirname, '../dist/help.txt'), 'utf8'));
} else {
  require('./compile-cache.cjs').enable(join(__dirname, '../dist'));
  require('../dist/cli.cjs')
    .main(process.argv)
    .then((code) => {
      process.exitCode = code;
    });
}
