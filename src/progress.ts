// Progress of long work (go mod tidy downloading modules, go build compiling the SDK: minutes when the caches are
// cold). In a terminal, one line redrawn in place: a spinner, the phase and the time it has taken so far, left as a
// finished line when the phase ends. Without a terminal, one plain line when a phase starts and one when it ends, for
// logs. Under --json or --quiet, nothing: stdout carries only the final document.

export interface Progress {
  /** A new phase begins; the one before it, if any, ended well. */
  step(label: string): void;
  /** The last phase ended: well (`ok`) or not (failed or interrupted). */
  stop(ok: boolean): void;
}

export interface ProgressOptions {
  /** Where the text goes; `isTTY` chooses between the redrawn line and plain lines. */
  stream: Pick<NodeJS.WriteStream, 'write'> & { isTTY?: boolean };
  silent: boolean;
  dim?: (text: string) => string;
  now?: () => number;
  /** Redraw interval in a terminal. */
  interval?: number;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function formatElapsed(ms: number): string {
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.floor(seconds % 60)} s`;
}

export function createProgress(options: ProgressOptions): Progress {
  if (options.silent) return { step: () => {}, stop: () => {} };
  const now = options.now ?? Date.now;
  const dim = options.dim ?? ((text: string) => text);
  const out = options.stream;
  let label: string | undefined;
  let started = 0;
  let frame = 0;
  let timer: ReturnType<typeof setInterval> | undefined;

  if (!out.isTTY) {
    const end = (ok: boolean) => {
      if (label !== undefined) out.write(`${dim(`  … ${label}: ${ok ? 'done' : 'stopped'} after ${formatElapsed(now() - started)}`)}\n`);
      label = undefined;
    };
    return {
      step: (next) => {
        end(true);
        label = next;
        started = now();
        out.write(`${dim(`  … ${next}`)}\n`);
      },
      stop: end,
    };
  }

  const draw = () => {
    if (label === undefined) return;
    out.write(`\r\u001b[2K  ${FRAMES[frame++ % FRAMES.length]} ${label} ${dim(formatElapsed(now() - started))}`);
  };
  const end = (ok: boolean) => {
    if (timer) clearInterval(timer);
    timer = undefined;
    if (label !== undefined) out.write(`\r\u001b[2K  ${ok ? '✓' : '✗'} ${label} ${dim(formatElapsed(now() - started))}\n`);
    label = undefined;
  };
  return {
    step: (next) => {
      end(true);
      label = next;
      started = now();
      draw();
      timer = setInterval(draw, options.interval ?? 100);
      // A pending redraw never keeps the process alive.
      timer.unref?.();
    },
    stop: end,
  };
}
