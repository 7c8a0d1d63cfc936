// The CLI and the prediction worker run compiled JavaScript (dist/). Tests that use them call
// ensureDist(): when any TypeScript source under src/ is newer than its compiled file, it rebuilds
// dist with tsc (one test process at a time, under a lock folder), so no test runs stale code.
import {execFileSync} from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');

function staleFiles(): string[] {
  const stale: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, {withFileTypes: true})) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        const out = path.join(ROOT, 'dist', path.relative(ROOT, p)).replace(/\.ts$/, '.js');
        if (!fs.existsSync(out) || fs.statSync(out).mtimeMs < fs.statSync(p).mtimeMs) stale.push(path.relative(ROOT, p));
      }
    }
  };
  walk(path.join(ROOT, 'src'));
  return stale;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Rebuilds dist/ if it is older than src/; throws with the files that stay stale. */
export function ensureDist(): void {
  if (staleFiles().length === 0) return;
  fs.mkdirSync(path.join(ROOT, 'dist'), {recursive: true});
  const lock = path.join(ROOT, 'dist', '.build-lock');
  const deadline = Date.now() + 240_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      // A lock left by a killed process (builds take well under 5 minutes).
      try {
        if (Date.now() - fs.statSync(lock).mtimeMs > 300_000) fs.rmSync(lock, {recursive: true, force: true});
      } catch {
        // gone already
      }
      if (Date.now() > deadline) throw new Error(`ensureDist: ${lock} is held for too long (remove it if no build is running)`);
      sleep(500);
    }
  }
  try {
    // A source edited while tsc runs stays stale: compile again (a few times at most).
    for (let attempt = 0; attempt < 3 && staleFiles().length > 0; attempt++) {
      try {
        // tsc emits even when some file has type errors; what matters is that the outputs are fresh.
        execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.json')], {
          cwd: ROOT, stdio: 'pipe',
        });
      } catch {
        // reported below if outputs are still stale
      }
    }
    const stale = staleFiles();
    if (stale.length > 0) {
      throw new Error(`dist/ is older than src/ and tsc did not rebuild it (${stale.slice(0, 5).join(', ')}); run npm run build:ts`);
    }
  } finally {
    fs.rmSync(lock, {recursive: true, force: true});
  }
}
