import { cpus, loadavg, platform, release, totalmem } from 'node:os';

/** Where the numbers were measured; results from different machines are not comparable. */
export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  platform: string;
  /**
   * 1-minute load average when the run started. The machine may be shared (other test suites
   * running); a load near or above the core count means the numbers are pessimistic.
   */
  loadAverage: number;
}

export function describeMachine(): Machine {
  const processors = cpus();
  return {
    cpuModel: processors[0]?.model.trim() ?? 'unknown',
    cores: processors.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.versions.node,
    platform: `${platform()} ${release()} ${process.arch}`,
    loadAverage: Number(loadavg()[0]?.toFixed(2) ?? 0),
  };
}
