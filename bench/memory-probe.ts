// Loaded into the edge's own process by bench:read and bench:publish (`node --import
// bench/memory-probe.ts`): keeps the peak RSS and live ArrayBuffer bytes of that process, which the
// bench cannot see from outside, and the event loop's delay. The bench signals it: SIGUSR1 = the
// measured span starts (collect garbage, take the baseline), SIGUSR2 = it is over (write {baselineRss,
// peakRss, baselineBuffers, peakBuffers, loopDelayMs} as JSON to MEMORY_PROBE_FILE; loopDelayMs: the
// event loop's delay p50/p99/max over the span, what a request arriving meanwhile waited).
// RSS is sampled every 2 ms (process.memoryUsage.rss(): microseconds), the ArrayBuffer bytes every
// 20 ms (a full process.memoryUsage() walks the heap's spaces: it showed in the edge's CPU profile).
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';

// --import runs in the codec's worker threads too; the probe belongs to the main thread only.
if (isMainThread) startProbe();

function startProbe(): void {
  const file = process.env.MEMORY_PROBE_FILE;
  if (!file) throw new Error('MEMORY_PROBE_FILE is not set');
  let baselineRss = 0;
  let baselineBuffers = 0;
  let peakRss = 0;
  let peakBuffers = 0;
  let ticks = 0;
  const sample = () => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    if (ticks++ % 10 === 0) peakBuffers = Math.max(peakBuffers, process.memoryUsage().arrayBuffers);
  };
  setInterval(sample, 2).unref();
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const report = (phase: string) =>
    writeFileSync(
      file,
      JSON.stringify({
        phase,
        baselineRss,
        peakRss,
        baselineBuffers,
        peakBuffers,
        loopDelayMs: {
          p50: loopDelay.percentile(50) / 1e6,
          p99: loopDelay.percentile(99) / 1e6,
          max: loopDelay.max / 1e6,
        },
      }),
    );
  process.on('SIGUSR1', () => {
    (globalThis as { gc?: () => void }).gc?.();
    const usage = process.memoryUsage();
    baselineRss = peakRss = usage.rss;
    baselineBuffers = peakBuffers = usage.arrayBuffers;
    loopDelay.reset();
    report('started');
  });
  process.on('SIGUSR2', () => {
    ticks = 0;
    sample();
    report('done');
  });
}
