import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** CPU time accounting from /proc (Linux); NaN elsewhere. */
let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** User + system CPU milliseconds a process has used so far. */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / clockTicks()) * 1000;
  } catch {
    return Number.NaN;
  }
}

/** Busy and total CPU milliseconds of the whole machine, all cores together. */
export function machineCpuMs(): { busy: number; total: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const values = line.trim().split(/\s+/).slice(1).map(Number);
    const total = values.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (values[3] ?? 0) + (values[4] ?? 0);
    const toMs = 1000 / clockTicks();
    return { busy: (total - idle) * toMs, total: total * toMs };
  } catch {
    return { busy: Number.NaN, total: Number.NaN };
  }
}

/** CPU use over a stretch of wall time, in % of one core. */
export interface CpuShare {
  /** The whole machine (all cores together; 100 × cores when saturated). */
  machine: number;
  /** The bench's own processes: this one and the children it reported. */
  bench: number;
  /** Everything else on the machine meanwhile (other workloads sharing it). */
  other: number;
}

/** Starts measuring; the returned function ends it, given the CPU ms the bench's child processes used meanwhile. */
export function cpuWindow(): (childrenCpuMs: number) => CpuShare {
  const wall = performance.now();
  const machine = machineCpuMs();
  const own = process.cpuUsage();
  return (childrenCpuMs) => {
    const elapsed = performance.now() - wall;
    const used = process.cpuUsage(own);
    const machineNow = machineCpuMs();
    const machinePct = ((machineNow.busy - machine.busy) / elapsed) * 100;
    const benchPct = (((used.user + used.system) / 1000 + childrenCpuMs) / elapsed) * 100;
    return { machine: machinePct, bench: benchPct, other: Math.max(0, machinePct - benchPct) };
  };
}
