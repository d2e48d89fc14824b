import cliProgress from 'cli-progress';

export interface Progress {
  update(value: number, extra?: Record<string, string | number>): void;
  /** Prints a line above the bar (or to stderr when there is no bar). */
  log(line: string): void;
  stop(): void;
}

/** A progress bar on a terminal; on a pipe or a file there is no bar, only the lines logged. */
export function progress(total: number, label: string, stream: NodeJS.WriteStream = process.stdout): Progress {
  if (!stream.isTTY) {
    return { update() {}, log: (line) => void process.stderr.write(`${line}\n`), stop() {} };
  }
  const bars = new cliProgress.MultiBar(
    {
      stream,
      format: `${label} [{bar}] {percentage}% | {value}/{total} | {note} | ETA {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: false,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  const bar = bars.create(Math.max(total, 1), 0, { note: '' });
  return {
    update: (value, extra) => bar.update(value, extra),
    // The bar redraws after each logged line; both go to the terminal.
    log: (line) => (process.stderr.isTTY ? bars.log(`${line}\n`) : process.stderr.write(`${line}\n`)),
    stop: () => bars.stop(),
  };
}
