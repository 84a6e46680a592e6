// Quoting for every command the CLI prints: each line must run as exactly the intended command when pasted into a
// POSIX shell, whatever the directory or name it carries.

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One shell word: left bare when it holds only characters no shell treats specially, else single-quoted. */
export function shellQuote(word: string): string {
  if (word !== '' && SAFE.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** A command line from words, each quoted as needed. */
export function shellJoin(words: string[]): string {
  return words.map(shellQuote).join(' ');
}
