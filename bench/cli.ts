// Scaffolding shared by the bench scripts' entry points: option errors and --help, stopping on a
// signal with what was measured, writing result files, running main only when invoked as a script.
import {mkdirSync, writeFileSync} from 'node:fs';
import {join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

/**
 * Parses the options with `parse`; on a bad option prints `<prefix><message>` and a pointer to
 * --help and exits with status 2; with --help prints `help` and returns null.
 */
export function parseOrExit<T extends {help?: boolean}>(parse: () => T, help: string, prefix = ''): T | null {
  let options: T;
  try {
    options = parse();
  } catch (e) {
    console.error(`${prefix}${(e as Error).message}\nRun with --help for the options.`);
    process.exit(2);
  }
  if (options.help) {
    console.log(help);
    return null;
  }
  return options;
}

/** An AbortController aborted by the first SIGINT or SIGTERM, saying that the run stops early. */
export function abortOnSignals(): AbortController {
  const controller = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      process.stderr.write(`\n${sig}: stopping after the current iteration and writing what was measured\n`);
      controller.abort();
    });
  }
  return controller;
}

/** Writes `files` ([name, text] pairs) into `dir` (created if needed); returns their paths. */
export function writeFiles(dir: string, files: ReadonlyArray<readonly [string, string]>): string[] {
  mkdirSync(dir, {recursive: true});
  return files.map(([name, text]) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  });
}

/** Runs `main` when `moduleUrl` is the script node was started with; errors print and exit 1. */
export function runIfMain(moduleUrl: string, main: () => Promise<void> | void): void {
  if (!process.argv[1] || resolve(process.argv[1]) !== fileURLToPath(moduleUrl)) return;
  Promise.resolve()
    .then(main)
    .catch((e) => {
      console.error(e instanceof Error ? e.stack ?? e.message : e);
      process.exit(1);
    });
}
