// Whether a file descriptor is a terminal, answered without loading node:tty (and with it node:net and the socket
// code) when the answer is plainly no: only a character device can be a terminal, and the most common character
// device on stdout in CI and scripts, /dev/null, is not one. The bundle routes chalk's own `isatty` calls here too.
import { fstatSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';

let nullDevice: number | undefined;

function isNullDevice(rdev: number): boolean {
  if (nullDevice === undefined) {
    try {
      nullDevice = statSync('/dev/null').rdev;
    } catch {
      nullDevice = -1;
    }
  }
  return rdev === nullDevice;
}

export function isatty(fd: number): boolean {
  if (process.platform !== 'win32') {
    try {
      const stat = fstatSync(fd);
      if (!stat.isCharacterDevice() || isNullDevice(stat.rdev)) return false;
    } catch {
      return false; // a closed or invalid descriptor is no terminal
    }
  }
  return (createRequire(import.meta.url)('node:tty') as typeof import('node:tty')).isatty(fd);
}

export default { isatty };
