import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Line { label: string; value: number; color: string }
export interface Series { label: string; color: string; points: readonly [number, number][] }

const tzDate = (ts: number) => uPlot.tzDate(new Date(ts * 1000), 'Asia/Taipei');
const hhmm = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Taipei', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
const mmdd = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Taipei', month: '2-digit', day: '2-digit' });
/** Axis ticks in Asia/Taipei, 24-hour: 14:30, with the date (12-03) when the view spans more than a day. */
const timeTicks = (u: uPlot, splits: number[]): string[] => {
  const span = (u.scales.x!.max ?? 0) - (u.scales.x!.min ?? 0);
  return splits.map((s) => (span > 86_400 ? `${mmdd.format(s * 1000)} ${hhmm.format(s * 1000)}` : hhmm.format(s * 1000)));
};

/**
 * A time-series chart (uPlot) with horizontal threshold lines (warning levels, a rule's
 * threshold, a flood depth) drawn as constant series so they get a legend entry with text.
 */
export function drawChart(el: HTMLElement, series: readonly Series[], lines: readonly Line[], unit: string, title: string, range?: [number, number]): uPlot {
  // The range's ends are x values too, so the threshold lines span the whole chosen range
  // rather than only the stretch that holds readings.
  const xs = [...new Set([...series.flatMap((s) => s.points.map((p) => p[0])), ...(range && lines.length ? range : [])])].sort((a, b) => a - b);
  const idx = new Map(xs.map((x, i) => [x, i]));
  const cols = series.map((s) => {
    const col: (number | null)[] = new Array(xs.length).fill(null);
    for (const [x, y] of s.points) col[idx.get(x)!] = y;
    return col;
  });
  const data: uPlot.AlignedData = [xs.map((x) => x / 1000), ...cols, ...lines.map((l) => xs.map(() => l.value))] as uPlot.AlignedData;
  const width = Math.max(320, Math.min(el.clientWidth || 800, 1100));
  return new uPlot({
    title,
    width,
    height: 300,
    tzDate,
    // The chosen range, not the data's extent: one reading must not stretch the axis over years.
    scales: { x: { time: true, ...(range ? { range: [range[0] / 1000, range[1] / 1000] as uPlot.Range.MinMax } : {}) } },
    axes: [{ values: timeTicks }, { label: unit, size: 60 }],
    series: [
      { label: 'time' },
      ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, spanGaps: true })),
      ...lines.map((l) => ({ label: `${l.label} ${l.value}`, stroke: l.color, width: 1, dash: [6, 4], points: { show: false } })),
    ],
  }, data, el);
}
