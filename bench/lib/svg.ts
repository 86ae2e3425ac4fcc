// A small line plot written by hand (no plotting dependency): one panel per step, seconds
// against N, one line per tool.

export interface PlotSeries {
  tool: string;
  color: string;
  /** N → seconds (NaN or missing: no point). */
  points: Map<number, number>;
}

export interface PlotPanel {
  title: string;
  series: PlotSeries[];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function niceMax(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

export function plotPanels(title: string, ns: number[], panels: PlotPanel[], columns = 2): string {
  const pw = 380;
  const ph = 250;
  const m = { l: 52, r: 16, t: 30, b: 40 };
  const rows = Math.ceil(panels.length / columns);
  const legendH = 28;
  const width = columns * pw;
  const height = 36 + rows * ph + legendH;
  const xs = [...ns].sort((a, b) => a - b);
  const xMin = 0;
  const xMax = niceMax(xs[xs.length - 1] ?? 1);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  panels.forEach((panel, i) => {
    const ox = (i % columns) * pw;
    const oy = 36 + Math.floor(i / columns) * ph;
    const w = pw - m.l - m.r;
    const h = ph - m.t - m.b;
    const yMax = niceMax(Math.max(0, ...panel.series.flatMap((s) => [...s.points.values()].filter(Number.isFinite))) * 1.05);
    const X = (n: number) => ox + m.l + ((n - xMin) / (xMax - xMin)) * w;
    const Y = (v: number) => oy + m.t + h - (v / yMax) * h;
    out.push(`<text x="${ox + m.l + w / 2}" y="${oy + 16}" text-anchor="middle" font-size="12" font-weight="bold">${esc(panel.title)}</text>`);
    out.push(`<rect x="${ox + m.l}" y="${oy + m.t}" width="${w}" height="${h}" fill="none" stroke="#999"/>`);
    for (let k = 0; k <= 4; k++) {
      const v = (yMax * k) / 4;
      const y = Y(v);
      out.push(`<line x1="${ox + m.l}" x2="${ox + m.l + w}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#eee"/>`);
      out.push(`<text x="${ox + m.l - 4}" y="${(y + 4).toFixed(1)}" text-anchor="end">${v < 10 ? v.toFixed(1) : v.toFixed(0)}</text>`);
    }
    for (const n of xs) {
      out.push(`<line x1="${X(n).toFixed(1)}" x2="${X(n).toFixed(1)}" y1="${oy + m.t + h}" y2="${oy + m.t + h + 4}" stroke="#999"/>`);
      out.push(`<text x="${X(n).toFixed(1)}" y="${oy + m.t + h + 16}" text-anchor="middle">${n}</text>`);
    }
    out.push(`<text x="${ox + m.l + w / 2}" y="${oy + ph - 6}" text-anchor="middle">N services</text>`);
    out.push(`<text transform="translate(${ox + 12},${oy + m.t + h / 2}) rotate(-90)" text-anchor="middle">seconds</text>`);
    for (const s of panel.series) {
      const pts = xs.filter((n) => Number.isFinite(s.points.get(n))).map((n) => [X(n), Y(s.points.get(n) as number)] as const);
      if (pts.length > 1) out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')}"/>`);
      for (const [x, y] of pts) out.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3" fill="${s.color}"/>`);
    }
  });
  const tools = panels[0]?.series ?? [];
  const ly = height - legendH / 2;
  tools.forEach((s, k) => {
    const x = 20 + k * 230;
    out.push(`<line x1="${x}" x2="${x + 24}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"/>`);
    out.push(`<text x="${x + 30}" y="${ly + 4}">${esc(s.tool)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
