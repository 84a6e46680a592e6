// The shell blocks of a generated README and the commands the CLI prints, as the README tier runs them.
//
// Marking convention (in templates/*/README.md.hbs): every fenced block in a shell language carries one of
//   ```sh {test}              run in order, in one fresh bash shell, in the project directory
//   ```sh {test server}       starts the dev server and keeps its terminal: run in the background, waited for
//   ```sh {untested: <why>}   not run; the reason says why (another suite covers it, it needs a real server, …)
// Blocks in other languages (```go) are code, not commands. An unmarked shell block fails the tier.

export type Mark = { kind: 'test' } | { kind: 'server' } | { kind: 'untested'; reason: string } | { kind: 'unmarked' };

export interface Block {
  lang: string;
  info: string;
  mark: Mark;
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
}

const SHELL = new Set(['sh', 'shell', 'bash', 'console', 'zsh']);

function markOf(rest: string): Mark {
  const attrs = /^\{(.*)\}$/.exec(rest.trim())?.[1]?.trim();
  if (attrs === 'test') return { kind: 'test' };
  if (attrs === 'test server') return { kind: 'server' };
  const untested = attrs === undefined ? null : /^untested:\s*(.*)$/.exec(attrs);
  if (untested) return { kind: 'untested', reason: untested[1]!.trim() };
  return { kind: 'unmarked' };
}

/** Every fenced code block of a Markdown text, with its language and mark. */
export function fencedBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})(\S*)\s*(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const [, fence, lang, rest] = open;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !lines[j]!.startsWith(fence!)) body.push(lines[j++]!);
    blocks.push({ lang: lang!, info: `${lang} ${rest}`.trim(), mark: markOf(rest!), code: body.join('\n'), line: i + 1 });
    i = j;
  }
  return blocks;
}

/** The blocks a reader would paste into a shell. */
export function shellBlocks(markdown: string): Block[] {
  return fencedBlocks(markdown).filter((b) => SHELL.has(b.lang));
}

/** Commands in a block: lines that are neither blank nor comments, a heredoc's body counted with its command. */
export function commandCount(code: string): number {
  let count = 0;
  let heredoc: string | undefined;
  let continued = false;
  for (const line of code.split('\n')) {
    if (heredoc !== undefined) {
      if (line.trim() === heredoc) heredoc = undefined;
      continue;
    }
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    if (!continued) count++;
    continued = trimmed.endsWith('\\');
    heredoc = /<<-?'?(\w+)'?/.exec(trimmed)?.[1];
  }
  return count;
}

/**
 * The commands in the CLI's human output: the lines indented by exactly two spaces, except its progress (`  … step`)
 * and the sha256 line. Everything else the CLI prints is a heading or a note, never indented.
 */
export function printedCommands(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => /^ {2}\S/.test(line) && !line.startsWith('  … ') && !line.startsWith('  sha256: '))
    .map((line) => line.slice(2));
}

/** A command that starts a dev server and keeps its terminal. */
export function startsServer(command: string): boolean {
  return /^(make dev\b|vault server -dev\b)/.test(command.trim());
}
