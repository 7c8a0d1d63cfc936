// Describes the machine a benchmark ran on, for the header of every result file.
import {cpus, totalmem} from 'node:os';
import {readFileSync} from 'node:fs';

export interface MachineInfo {
  cpu: string;
  cpuFamily: string;
  cores: number;
  memoryGiB: number;
  node: string;
  date: string;
}

function cpuFamily(): string {
  try {
    const text = readFileSync('/proc/cpuinfo', 'utf8');
    const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(text)?.[1] ?? '?';
    return `${field('vendor_id')} family ${field('cpu family')} model ${field('model')}`;
  } catch {
    return 'unknown';
  }
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cpu: list[0]?.model ?? 'unknown',
    cpuFamily: cpuFamily(),
    cores: list.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    date: new Date().toISOString(),
  };
}

export function machineLine(m: MachineInfo): string {
  return `${m.cpu} (${m.cpuFamily}), ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.date}`;
}
