// Loaded into the edge's own process by bench:read (`node --import bench/memory-probe.ts`): keeps the
// peak RSS and live ArrayBuffer bytes of that process, which the bench cannot see from outside. The
// bench signals it: SIGUSR1 = the measured read starts (collect garbage, take the baseline), SIGUSR2 =
// it is over (write {baselineRss, peakRss, baselineBuffers, peakBuffers} as JSON to MEMORY_PROBE_FILE).
// Sampling every 2 ms costs the edge a few microseconds each time.
import { writeFileSync } from 'node:fs';

const file = process.env.MEMORY_PROBE_FILE;
if (!file) throw new Error('MEMORY_PROBE_FILE is not set');
let baselineRss = 0;
let baselineBuffers = 0;
let peakRss = 0;
let peakBuffers = 0;
const sample = () => {
  const usage = process.memoryUsage();
  peakRss = Math.max(peakRss, usage.rss);
  peakBuffers = Math.max(peakBuffers, usage.arrayBuffers);
};
setInterval(sample, 2).unref();
const report = (phase: string) =>
  writeFileSync(file, JSON.stringify({ phase, baselineRss, peakRss, baselineBuffers, peakBuffers }));
process.on('SIGUSR1', () => {
  (globalThis as { gc?: () => void }).gc?.();
  const usage = process.memoryUsage();
  baselineRss = peakRss = usage.rss;
  baselineBuffers = peakBuffers = usage.arrayBuffers;
  report('started');
});
process.on('SIGUSR2', () => {
  sample();
  report('done');
});
