// Small SVG charts for the console, drawn with dom.js's svg(): no library, no inline styles (the CSP
// forbids them) — colours come from classes in canopy.css. A chart is an accessible picture (role=img
// named by a title and a description that sums it up); views also offer its numbers as a table.
import { h, svg, uid } from './dom.js';

/** Width drawn before the figure is on the page; it is redrawn at its real width once it is. */
const DEFAULT_WIDTH = 720;
/** Room for one day label ("Nov 27" at the 11px of `.chart text`) with a gap to the next. */
const DAY_LABEL_ROOM = 46;
const CHAR_WIDTH = 6.5;

const number = (n) => Number(n ?? 0).toLocaleString();

/** "Nov 27" for a UTC day "2026-11-27". */
export function shortDay(day) {
  return new Date(`${day}T00:00:00Z`).toLocaleDateString(undefined, {
    month: 'short',
    day: 'numeric',
    timeZone: 'UTC',
  });
}

/** Whole, round y ticks (steps of 1, 2 or 5 × 10ⁿ) from 0 to at least `max`, about `count` of them. */
export function niceTicks(max, count = 4) {
  const top = max > 0 ? max : count;
  const raw = top / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = Math.max(
    1,
    [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw),
  );
  const ticks = [];
  for (let v = 0; v < top + step; v += step) ticks.push(v);
  return ticks;
}

/** "12 sign-ins succeeded" / "1 sign-in succeeded", for tooltips and descriptions. */
function counted(series, n) {
  const many = series.label.toLowerCase();
  return `${number(n)} ${n === 1 ? (series.one ?? many) : many}`;
}

/** The sentence a screen reader hears: the period, each series' total and the busiest day. */
function summary(title, days, series, stacked) {
  if (!days.length) return `${title}: no days in this period.`;
  const totals = series.map((s) =>
    counted(
      s,
      days.reduce((sum, d) => sum + (d[s.key] ?? 0), 0),
    ),
  );
  const span = `${days[0].day} to ${days.at(-1).day} (${days.length} ${days.length === 1 ? 'day' : 'days'}, UTC)`;
  const dayTotal = (d) => series.reduce((sum, s) => sum + (d[s.key] ?? 0), 0);
  const busiest = days.reduce((best, d) => (dayTotal(d) > dayTotal(best) ? d : best), days[0]);
  const peak = dayTotal(busiest);
  const parts = series.map((s) => counted(s, busiest[s.key] ?? 0)).join(', ');
  const busiestText = series.length === 1 ? parts : stacked ? `${number(peak)} in all (${parts})` : parts;
  const tail = peak ? ` Busiest day: ${busiest.day}, ${busiestText}.` : ' No activity in this period.';
  return `${title}, ${span}: ${totals.join(', ')}.${tail}`;
}

/** The SVG itself at `width` user units = CSS pixels, so text stays 11px on any screen. */
function draw({ width, titleId, descId, title, description, days, series, stacked }) {
  const height = width < 480 ? 200 : 240;
  const dayValue = (d) =>
    stacked
      ? series.reduce((sum, s) => sum + (d[s.key] ?? 0), 0)
      : Math.max(0, ...series.map((s) => d[s.key] ?? 0));
  const ticks = niceTicks(Math.max(0, ...days.map(dayValue)));
  const top = ticks.at(-1);
  const left = Math.ceil(Math.max(...ticks.map((t) => number(t).length)) * CHAR_WIDTH) + 12;
  const right = 20;
  const above = 10;
  const below = 26;
  const plotWidth = Math.max(1, width - left - right);
  const plotHeight = height - above - below;
  const baseline = above + plotHeight;
  const y = (v) => baseline - (v / top) * plotHeight;
  const step = plotWidth / Math.max(1, days.length);
  const gap = step >= 8 ? Math.min(step * 0.25, 10) : step >= 3 ? 1 : 0;
  const round = (v) => Math.round(v * 100) / 100;

  const grid = ticks.map((t) =>
    svg(
      'g',
      null,
      svg('line', {
        class: t === 0 ? 'axis' : 'grid',
        x1: left,
        x2: width - right,
        y1: round(y(t)),
        y2: round(y(t)),
      }),
      svg('text', { x: left - 6, y: round(y(t) + 4), 'text-anchor': 'end' }, number(t)),
    ),
  );
  const yAxis = svg('line', { class: 'axis', x1: left, x2: left, y1: above, y2: baseline });

  // Labels every `every` days, counted back from the last so the newest day is always named.
  const every = Math.max(1, Math.ceil(DAY_LABEL_ROOM / step));
  const labels = days.map((d, i) =>
    (days.length - 1 - i) % every === 0
      ? svg(
          'text',
          { x: round(left + step * (i + 0.5)), y: height - 8, 'text-anchor': 'middle' },
          shortDay(d.day),
        )
      : null,
  );

  const bars = days.map((d, i) => {
    const x0 = left + step * i + gap / 2;
    const barWidth = step - gap;
    const rects = [];
    let stackedSoFar = 0;
    series.forEach((s, k) => {
      const v = d[s.key] ?? 0;
      if (!v) return;
      // A bar that counts something stays at least a pixel tall, however busy other days were.
      const length = Math.max(1, (v / top) * plotHeight);
      const base = stacked ? baseline - (stackedSoFar / top) * plotHeight : baseline;
      const w = stacked ? barWidth : barWidth / series.length;
      const x = stacked ? x0 : x0 + w * k;
      stackedSoFar += v;
      rects.push(
        svg(
          'rect',
          {
            class: `bar-${s.className}`,
            x: round(x),
            y: round(base - length),
            width: round(Math.max(0.5, w)),
            height: round(length),
          },
          svg('title', null, `${d.day}: ${counted(s, v)}`),
        ),
      );
    });
    return rects.length ? svg('g', null, rects) : null;
  });

  // Nothing to draw: the axes stay, and the picture says why it is empty.
  const empty = days.every((d) => !dayValue(d))
    ? svg(
        'text',
        {
          class: 'chart-empty',
          x: round(left + plotWidth / 2),
          y: round(y(top * 0.625) + 5), // between two grid lines
          'text-anchor': 'middle',
        },
        'No activity in this period',
      )
    : null;

  return svg(
    'svg',
    {
      class: 'chart',
      role: 'img',
      viewBox: `0 0 ${width} ${height}`,
      preserveAspectRatio: 'xMidYMid meet',
      'aria-labelledby': `${titleId} ${descId}`,
    },
    svg('title', { id: titleId }, title),
    svg('desc', { id: descId }, description),
    grid,
    yAxis,
    bars,
    labels,
    empty,
  );
}

/**
 * A bar chart of per-day counts, in a `<figure>` with a caption and a legend.
 * - `days`: `[{ day: 'YYYY-MM-DD', [key]: number }]`, continuous, oldest first.
 * - `series`: `[{ key, label, one, className }]` — `label` names the series in the legend
 *   ("Sign-ins succeeded"; lower-cased in tooltips), `one` is its singular ("sign-in succeeded"),
 *   `className` picks the colour: `success` → `.bar-success` / `.legend-success`.
 * - `stacked`: the series on top of each other (one bar per day), else side by side.
 * The SVG is redrawn at the figure's width whenever that changes, so its text stays readable.
 */
export function barChart({ title, days, series, stacked = false }) {
  const titleId = uid('chart');
  const descId = uid('chart');
  const description = summary(title, days, series, stacked);
  const spec = { titleId, descId, title, description, days, series, stacked };
  let width = DEFAULT_WIDTH;
  let picture = draw({ ...spec, width });
  const legend = h(
    'ul',
    { class: 'legend' },
    series.map((s) =>
      h(
        'li',
        null,
        h('span', { class: `legend-swatch legend-${s.className}`, 'aria-hidden': 'true' }),
        `${s.label}: ${number(days.reduce((sum, d) => sum + (d[s.key] ?? 0), 0))}`,
      ),
    ),
  );
  const figure = h('figure', { class: 'chart-figure' }, h('figcaption', null, title), picture, legend);

  let seen = false;
  let frame;
  const observer = new ResizeObserver(([entry]) => {
    if (!figure.isConnected) {
      if (seen) observer.disconnect(); // the view was replaced
      return;
    }
    seen = true;
    const next = Math.floor(entry.contentRect.width);
    if (next <= 0 || next === width) return;
    // Redraw in the next frame: changing the figure's height inside the callback would loop.
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(() => {
      width = next;
      const redrawn = draw({ ...spec, width });
      picture.replaceWith(redrawn);
      picture = redrawn;
    });
  });
  observer.observe(figure);
  return figure;
}
