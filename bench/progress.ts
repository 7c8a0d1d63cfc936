// A progress line on stderr for long benchmark runs. On a terminal it redraws one line in place
// (`[3/9] native-cpu  EfficientNet-B7  warm-up 1/1  12.3 s`); elsewhere (CI logs, pipes) it prints
// one line per finished step, and a line at most every 30 s during long steps.
import type {WriteStream} from 'node:tty';

export interface ProgressOptions {
  /** Where to draw (default process.stderr). */
  stream?: NodeJS.WritableStream;
  /** Force (true) or suppress (false) in-place redrawing; default: whether the stream is a TTY. */
  interactive?: boolean;
  /** Print nothing at all. */
  silent?: boolean;
  /** Clock in milliseconds (tests pass a fake one). */
  now?: () => number;
}

/** Formats a duration in ms as '850 ms', '12.3 s' or '4 min 05 s'. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

/** A text bar of `width` cells for a fraction in [0, 1]. */
export function bar(fraction: number, width = 20): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const full = Math.round(f * width);
  return '#'.repeat(full) + '-'.repeat(width - full);
}

/**
 * Progress over a fixed number of steps (benchmark cells); within a step, over its iterations
 * (warm-up and timed), whose count is often unknown in advance (tinybench runs until both a time
 * and an iteration budget are met), so the step shows the iterations done and the time spent.
 */
export class Progress {
  private readonly stream: NodeJS.WritableStream;
  private readonly interactive: boolean;
  private readonly silent: boolean;
  private readonly now: () => number;
  private readonly started: number;
  private step = 0;
  private label = '';
  private stepStarted = 0;
  private phase = '';
  private iterations = 0;
  private expected = 0;
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly totalSteps: number,
    options: ProgressOptions = {},
  ) {
    this.stream = options.stream ?? process.stderr;
    this.interactive = options.interactive ?? Boolean((this.stream as WriteStream).isTTY);
    this.silent = options.silent ?? false;
    this.now = options.now ?? (() => performance.now());
    this.started = this.now();
  }

  /** Begins the next step. */
  begin(label: string): void {
    this.step++;
    this.label = label;
    this.stepStarted = this.now();
    this.lastDraw = this.stepStarted;
    this.phase = 'preparing';
    this.iterations = 0;
    this.expected = 0;
    this.draw(true);
  }

  /** Names the current phase ('building', 'warm-up', 'timing'); `expected` iterations when known. */
  setPhase(phase: string, expected = 0): void {
    this.phase = phase;
    this.iterations = 0;
    this.expected = expected;
    this.draw(true);
  }

  /** One iteration of the current phase finished. */
  tick(): void {
    this.iterations++;
    this.draw(false);
  }

  /** Ends the current step with a one-line result. */
  end(result: string): void {
    if (this.silent) return;
    const line = `[${this.step}/${this.totalSteps}] ${this.label}: ${result} (${formatDuration(this.now() - this.stepStarted)})`;
    if (this.interactive) this.clear();
    this.stream.write(line + '\n');
  }

  /** Prints a message above the progress line. */
  note(message: string): void {
    if (this.silent) return;
    if (this.interactive) this.clear();
    this.stream.write(message + '\n');
    this.draw(true);
  }

  /** Removes the progress line (call when done). */
  finish(): void {
    if (this.silent) return;
    if (this.interactive) this.clear();
    this.stream.write(`done: ${this.totalSteps} step${this.totalSteps === 1 ? '' : 's'} in ${formatDuration(this.now() - this.started)}\n`);
  }

  /** The current progress line (without control characters). */
  line(): string {
    const t = this.now();
    const overall = bar((this.step - 1) / Math.max(1, this.totalSteps), 12);
    const its = this.expected > 0 ? `${this.iterations}/${this.expected}` : `${this.iterations}`;
    const phase = this.phase === 'preparing' || this.phase === 'building' ? this.phase : `${this.phase} ${its}`;
    return (
      `[${overall}] ${this.step}/${this.totalSteps} ${this.label}  ${phase}  ` +
      `${formatDuration(t - this.stepStarted)} (total ${formatDuration(t - this.started)})`
    );
  }

  private clear(): void {
    if (this.drawn) this.stream.write('\r\x1b[2K');
    this.drawn = false;
  }

  private draw(force: boolean): void {
    if (this.silent) return;
    const t = this.now();
    if (!this.interactive) {
      // Logs: a line at most every 30 s while a long step runs.
      if (t - this.lastDraw >= 30_000 && t - this.stepStarted >= 30_000) {
        this.lastDraw = t;
        this.stream.write(`  ... ${this.line()}\n`);
      }
      return;
    }
    if (!force && t - this.lastDraw < 100) return;  // at most 10 redraws a second
    this.lastDraw = t;
    const columns = (this.stream as WriteStream).columns || 120;  // 0 on terminals of unknown size
    this.stream.write('\r\x1b[2K' + this.line().slice(0, Math.max(20, columns - 1)));
    this.drawn = true;
  }
}
