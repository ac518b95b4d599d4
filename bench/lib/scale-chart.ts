/**
 * Small line charts as SVG, drawn by Vega headless (no DOM, no canvas: renderer 'none', then
 * toSVG). One or more series (Switchboard first, a peer beside it), points labelled with their
 * values, a legend when there is more than one series, optionally a dashed target.
 */
import * as vega from 'vega';

export interface ChartSpec {
  title: string;
  xTitle: string;
  yTitle: string;
  series: { name: string; points: { x: number; y: number }[] }[];
  /** Log axes: for decade steps (a straight line of slope 1 on log–log is linear growth). */
  logX?: boolean;
  logY?: boolean;
  /** A horizontal goal line, e.g. 250 ms. */
  target?: { y: number; label: string };
}

/** Switchboard blue, then the peers'. */
const COLORS = ['#1f6feb', '#9a6700', '#8250df'];
const FONT = 'Helvetica, Arial, sans-serif';
const TARGET_COLOR = '#cf222e';

function format(v: number): string {
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toPrecision(2);
}

export async function lineChartSvg(c: ChartSpec): Promise<string> {
  // Where each label goes: of the points at one x, the highest is labelled above, the lowest below,
  // any between to the right, so labels of close lines do not cover each other.
  const kept = c.series.flatMap((s) =>
    s.points
      .filter((p) => Number.isFinite(p.y) && (!c.logY || p.y > 0))
      .map((p) => ({ ...p, series: s.name, label: format(p.y), dx: 0, dy: -8 })),
  );
  for (const x of new Set(kept.map((v) => v.x))) {
    const here = kept.filter((v) => v.x === x).sort((a, b) => b.y - a.y);
    if (here.length < 2) continue;
    here.forEach((v, i) => {
      if (i === here.length - 1) v.dy = 14;
      else if (i > 0) Object.assign(v, { dx: 10, dy: 4 });
    });
  }
  const values = kept;
  const names = c.series.map((s) => s.name);
  const xs = values.map((v) => v.x);
  const ys = [...values.map((v) => v.y), ...(c.target ? [c.target.y] : [])];
  const spec: vega.Spec = {
    $schema: 'https://vega.github.io/schema/vega/v6.json',
    width: 340,
    height: 180,
    padding: 8,
    background: 'white',
    title: { text: c.title, fontSize: 13, anchor: 'start' },
    config: {
      title: { font: FONT },
      axis: { labelFont: FONT, titleFont: FONT },
      text: { font: FONT },
    },
    data: [
      { name: 'points', values },
      { name: 'target', values: c.target ? [c.target] : [] },
    ],
    scales: [
      c.logX
        ? { name: 'x', type: 'log', domain: [Math.min(...xs), Math.max(...xs)], range: 'width', padding: 24 }
        : { name: 'x', type: 'linear', domain: [0, Math.max(...xs)], range: 'width', padding: 16 },
      c.logY
        ? {
            name: 'y',
            type: 'log',
            domain: [Math.min(...ys) / 1.5, Math.max(...ys) * 1.5],
            range: 'height',
            nice: true,
          }
        : {
            name: 'y',
            type: 'linear',
            domain: [Math.min(0, ...ys), Math.max(...ys) * 1.15],
            range: 'height',
            nice: true,
          },
      { name: 'color', type: 'ordinal', domain: names, range: COLORS.slice(0, names.length) },
    ],
    legends:
      names.length > 1
        ? [
            {
              fill: 'color',
              stroke: 'color',
              orient: 'top',
              direction: 'vertical',
              labelFont: FONT,
              labelLimit: 300,
              symbolType: 'stroke',
            },
          ]
        : [],
    axes: [
      {
        orient: 'bottom',
        scale: 'x',
        title: c.xTitle,
        values: [...new Set(xs)],
        format: ',d',
        grid: false,
      },
      { orient: 'left', scale: 'y', title: c.yTitle, grid: true, tickCount: 5, ...(c.logY ? { format: '~g' } : {}) },
    ],
    marks: [
      {
        type: 'rule',
        from: { data: 'target' },
        encode: {
          enter: {
            x: { value: 0 },
            x2: { signal: 'width' },
            y: { scale: 'y', field: 'y' },
            stroke: { value: TARGET_COLOR },
            strokeDash: { value: [4, 3] },
          },
        },
      },
      {
        type: 'text',
        from: { data: 'target' },
        encode: {
          enter: {
            x: { value: 4 },
            y: { scale: 'y', field: 'y', offset: 4 },
            text: { field: 'label' },
            align: { value: 'left' },
            baseline: { value: 'top' },
            fill: { value: TARGET_COLOR },
            fontSize: { value: 10 },
          },
        },
      },
      {
        type: 'group',
        from: { facet: { name: 'series', data: 'points', groupby: 'series' } },
        marks: [
          {
            type: 'line',
            from: { data: 'series' },
            encode: {
              enter: {
                x: { scale: 'x', field: 'x' },
                y: { scale: 'y', field: 'y' },
                stroke: { scale: 'color', field: 'series' },
                strokeWidth: { value: 2 },
              },
            },
          },
        ],
      },
      {
        type: 'symbol',
        from: { data: 'points' },
        encode: {
          enter: {
            x: { scale: 'x', field: 'x' },
            y: { scale: 'y', field: 'y' },
            fill: { scale: 'color', field: 'series' },
            size: { value: 30 },
          },
        },
      },
      {
        type: 'text',
        from: { data: 'points' },
        encode: {
          enter: {
            x: { scale: 'x', field: 'x' },
            y: { scale: 'y', field: 'y', offset: { field: 'dy' } },
            dx: { field: 'dx' },
            text: { field: 'label' },
            align: { signal: "datum.dx > 0 ? 'left' : 'center'" },
            fontSize: { value: 10 },
          },
        },
      },
    ],
  };
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
