import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { hasTaskset } from './proc.ts';

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly node: string;
  readonly os: string;
  readonly memoryGiB: number;
  /** 1-minute load average when the run started: the machine is shared, so say how busy it was. */
  readonly loadAverage: number;
  readonly pinned: boolean;
  /** Commit measured, and how many files differed from it (the tree is shared and changes between runs). */
  readonly revision: string;
}

function revision(): string {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  if (head.status !== 0) return 'unknown';
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).length;
  return `${head.stdout.trim()}${dirty ? ` + ${dirty} modified files` : ''}`;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverage: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
    pinned: hasTaskset() && cpus.length >= 2,
    revision: revision(),
  };
}
