// One binary must run on every x86-64 CPU. Two properties of the build guarantee it, checked here on
// the object files of ./build:
//  1. code compiled for plain x86-64 contains no AVX (VEX/EVEX-encoded) instruction;
//  2. objects compiled with -mavx2 / -mavx512* define no weak (COMDAT) function, because the linker
//     may pick such a copy of an inline function for callers in baseline code, which would then
//     execute AVX instructions on a CPU without them.
import {execFileSync} from 'node:child_process';
import {existsSync, readdirSync, statSync} from 'node:fs';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {describe, expect, it} from 'vitest';

const objectRoot = join(fileURLToPath(new URL('..', import.meta.url)), 'build', 'CMakeFiles');

function objectFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...objectFiles(path));
    else if (name.endsWith('.o')) out.push(path);
  }
  return out;
}

const haveBuild = existsSync(objectRoot);
const isIsaObject = (path: string) => /-(avx2|avx512)\.cc\.o$/.test(path);

describe.skipIf(!haveBuild)('ISA isolation of the CPU binary', () => {
  const objects = haveBuild ? objectFiles(objectRoot) : [];

  it('finds the object files', () => {
    expect(objects.filter((p) => !isIsaObject(p)).length).toBeGreaterThan(3);
    expect(objects.filter(isIsaObject).length).toBeGreaterThan(1);
  });

  it('baseline objects contain no AVX instructions', () => {
    const offenders: string[] = [];
    for (const path of objects.filter((p) => !isIsaObject(p))) {
      const asm = execFileSync('objdump', ['-d', '--no-show-raw-insn', path], {maxBuffer: 1 << 28}).toString();
      const vex = asm.split('\n').filter((line) => /^\s+[0-9a-f]+:\s+v[a-z0-9]+\s/.test(line));
      if (vex.length > 0) offenders.push(`${path}: ${vex[0].trim()}`);
    }
    expect(offenders).toEqual([]);
  });

  it('ISA-specific objects define no weak functions', () => {
    const offenders: string[] = [];
    for (const path of objects.filter(isIsaObject)) {
      const symbols = execFileSync('nm', ['-C', '--defined-only', path]).toString().split('\n');
      for (const line of symbols) {
        const m = /^[0-9a-f]+\s+([WVu])\s+(.*)$/.exec(line);
        if (m) offenders.push(`${path}: ${m[2]}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
