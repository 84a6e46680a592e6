// Reading a file the user points us at (an answers file) or that a project holds (its manifest, a pending upgrade)
// without ever blocking or eating memory: only a regular file is read, up to a size cap, and a UTF-8 byte order mark is
// dropped. Opening with O_NONBLOCK means a FIFO never blocks the open, so Ctrl-C keeps working.
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { CliError, EXIT } from './errors.js';

export const MAX_INPUT_BYTES = 1024 * 1024;

const KIND: Array<[(s: import('node:fs').Stats) => boolean, string]> = [
  [(s) => s.isDirectory(), 'a directory'],
  [(s) => s.isFIFO(), 'a FIFO'],
  [(s) => s.isSocket(), 'a socket'],
  [(s) => s.isCharacterDevice() || s.isBlockDevice(), 'a device'],
];

/** What stands at `path` when it is not a regular file (a socket cannot even be opened), else undefined. */
function describeKind(path: string): string | undefined {
  try {
    const stat = statSync(path);
    return stat.isFile() ? undefined : (KIND.find(([test]) => test(stat))?.[1] ?? 'not a regular file');
  } catch {
    return undefined;
  }
}

/**
 * The text of `path`, or a usage error (exit 2) naming the path and what is wrong with it: missing, unreadable, not a
 * regular file, larger than `MAX_INPUT_BYTES`, or not UTF-8 text.
 */
export function readInputFile(path: string, what: string, code = 'input'): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const errno = (error as NodeJS.ErrnoException).code;
    const kind = describeKind(path);
    if (kind) throw new CliError(`${what} ${path} is ${kind}; give a regular file`, EXIT.usage, code);
    const why = errno === 'ENOENT' ? 'it does not exist' : errno === 'EACCES' ? 'permission denied' : errno === 'ELOOP' ? 'too many symbolic links' : (errno ?? String(error));
    throw new CliError(`cannot read ${what} ${path}: ${why}`, EXIT.usage, code);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      const kind = KIND.find(([test]) => test(stat))?.[1] ?? 'not a regular file';
      throw new CliError(`${what} ${path} is ${kind}; give a regular file`, EXIT.usage, code);
    }
    if (stat.size > MAX_INPUT_BYTES) {
      throw new CliError(`${what} ${path} is ${stat.size} bytes; at most ${MAX_INPUT_BYTES} are read`, EXIT.usage, code);
    }
    // The size can grow while reading (a file being written): read at most one byte past the cap to notice.
    const buffer = Buffer.alloc(MAX_INPUT_BYTES + 1);
    let length = 0;
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buffer, length, buffer.length - length, null);
      } catch (error) {
        throw new CliError(`cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, EXIT.usage, code);
      }
      if (n === 0) break;
      length += n;
      if (length > MAX_INPUT_BYTES) throw new CliError(`${what} ${path} is larger than ${MAX_INPUT_BYTES} bytes; at most that is read`, EXIT.usage, code);
    }
    const bytes = buffer.subarray(0, length);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new CliError(`${what} ${path} is not UTF-8 text`, EXIT.usage, code);
    }
    return text.startsWith('\ufeff') ? text.slice(1) : text;
  } finally {
    closeSync(fd);
  }
}
