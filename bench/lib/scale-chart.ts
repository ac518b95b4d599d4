/**
 * Small line charts as SVG, drawn by Vega headless (no DOM, no canvas: renderer 'none', then
 * toSVG). One series per chart, points labelled with their values, optionally a dashed target.
 */
import * as vega from 'vega';

export interface ChartSpec {
  title: string;
  xTitle: string;
  yTitle: string;
  points: { x: number; y: number }[];
  /** Log axes: for decade steps (a straight line of slope 1 on log–log is linear growth). */
  logX?: boolean;
  logY?: boolean;
  /** A horizontal goal line, e.g. 250 ms. */
  target?: { y: number; label: string };
}

const COLOR = '#1f6feb';
const FONT = 'Helvetica, Arial, sans-serif';
const TARGET_COLOR = '#cf222e';

function format(v: number): string {
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toPrecision(2);
}

export async function lineChartSvg(c: ChartSpec): Promise<string> {
  const values = c.points
    .filter((p) => Number.isFinite(p.y) && (!c.logY || p.y > 0))
    .map((p) => ({ ...p, label: format(p.y) }));
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
    ],
    axes: [
      {
        orient: 'bottom',
        scale: 'x',
        title: c.xTitle,
        values: values.map((v) => v.x),
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
        type: 'line',
        from: { data: 'points' },
        encode: {
          enter: {
            x: { scale: 'x', field: 'x' },
            y: { scale: 'y', field: 'y' },
            stroke: { value: COLOR },
            strokeWidth: { value: 2 },
          },
        },
      },
      {
        type: 'symbol',
        from: { data: 'points' },
        encode: {
          enter: {
            x: { scale: 'x', field: 'x' },
            y: { scale: 'y', field: 'y' },
            fill: { value: COLOR },
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
            y: { scale: 'y', field: 'y', offset: -8 },
            text: { field: 'label' },
            align: { value: 'center' },
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
