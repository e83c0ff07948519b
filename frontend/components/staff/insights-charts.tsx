/**
 * The insights' charts as plain SVG (no client code): a line per surface over the days with its
 * 95% interval as a band, and click-through by position with interval whiskers. Numbers are the
 * content; every chart has a table or a caption beside it that says them.
 */

export interface Point {
  day: string;
  value: number | null;
  low: number | null;
  high: number | null;
}

export interface Series {
  name: string;
  points: Point[];
}

const COLOURS = ["#0f766e", "#b45309", "#1d4ed8", "#7c3aed", "#be123c", "#4d7c0f", "#334155"];
const W = 640;
const H = 240;
const PAD = { left: 44, right: 12, top: 12, bottom: 28 };

function pct(v: number): string {
  return `${(v * 100).toFixed(v < 0.1 ? 1 : 0)}%`;
}

/** The top of a rate axis: a little above the highest value, never past 100 %. */
function ceiling(values: number[]): number {
  return Math.min(1, Math.max(0.01, ...values) * 1.1);
}

function scaleY(max: number) {
  return (v: number) => PAD.top + (1 - v / max) * (H - PAD.top - PAD.bottom);
}

function ticks(max: number): number[] {
  return [0, max / 4, max / 2, (3 * max) / 4, max];
}

export function LineChart({
  title,
  days,
  series,
}: {
  title: string;
  days: string[];
  series: Series[];
}) {
  const highs = series.flatMap((s) => s.points.map((p) => p.high ?? p.value ?? 0));
  const max = ceiling(highs);
  const y = scaleY(max);
  const x = (i: number) =>
    PAD.left + (days.length <= 1 ? 0.5 : i / (days.length - 1)) * (W - PAD.left - PAD.right);
  return (
    <figure className="min-w-0" data-testid="chart-by-day">
      <figcaption className="text-sm font-semibold">{title}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} className="mt-2 w-full" role="img" aria-label={title}>
        {ticks(max).map((t) => (
          <g key={t}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} stroke="#e7e5e4" />
            <text x={PAD.left - 6} y={y(t) + 4} textAnchor="end" fontSize="11" fill="#57534e">
              {pct(t)}
            </text>
          </g>
        ))}
        {days.map((d, i) =>
          i % Math.max(1, Math.ceil(days.length / 7)) === 0 ? (
            <text key={d} x={x(i)} y={H - 8} textAnchor="middle" fontSize="11" fill="#57534e">
              {d.slice(5)}
            </text>
          ) : null,
        )}
        {series.map((s, k) => {
          const colour = COLOURS[k % COLOURS.length];
          const at = new Map(s.points.map((p) => [p.day, p]));
          const pts = days.map((d, i) => ({ i, p: at.get(d) })).filter((e) => e.p?.value != null);
          const band = pts.filter((e) => e.p?.low != null && e.p?.high != null);
          const area =
            band.length > 1
              ? [
                  ...band.map((e) => `${x(e.i)},${y(e.p?.high ?? 0)}`),
                  ...band.reverse().map((e) => `${x(e.i)},${y(e.p?.low ?? 0)}`),
                ].join(" ")
              : null;
          return (
            <g key={s.name}>
              {area ? <polygon points={area} fill={colour} opacity={0.15} /> : null}
              <polyline
                points={pts.map((e) => `${x(e.i)},${y(e.p?.value ?? 0)}`).join(" ")}
                fill="none"
                stroke={colour}
                strokeWidth={2}
              />
              {pts.map((e) => (
                <circle key={e.i} cx={x(e.i)} cy={y(e.p?.value ?? 0)} r={3} fill={colour} />
              ))}
            </g>
          );
        })}
      </svg>
      <ul className="mt-2 flex flex-wrap gap-x-4 gap-y-1 text-xs text-stone-700">
        {series.map((s, k) => (
          <li key={s.name} className="flex items-center gap-1.5">
            <span
              aria-hidden="true"
              className="inline-block size-2.5"
              style={{ background: COLOURS[k % COLOURS.length] }}
            />
            {s.name}
          </li>
        ))}
      </ul>
    </figure>
  );
}

export function PositionChart({ title, points }: { title: string; points: Point[] }) {
  const max = ceiling(points.map((p) => p.high ?? p.value ?? 0));
  const y = scaleY(max);
  const step = (W - PAD.left - PAD.right) / Math.max(points.length, 1);
  return (
    <figure className="min-w-0" data-testid="chart-by-position">
      <figcaption className="text-sm font-semibold">{title}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} className="mt-2 w-full" role="img" aria-label={title}>
        {ticks(max).map((t) => (
          <g key={t}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} stroke="#e7e5e4" />
            <text x={PAD.left - 6} y={y(t) + 4} textAnchor="end" fontSize="11" fill="#57534e">
              {pct(t)}
            </text>
          </g>
        ))}
        {points.map((p, i) => {
          const cx = PAD.left + step * (i + 0.5);
          return (
            <g key={p.day}>
              {p.value != null ? (
                <rect
                  x={cx - step * 0.3}
                  width={step * 0.6}
                  y={y(p.value)}
                  height={y(0) - y(p.value)}
                  fill="#0f766e"
                />
              ) : null}
              {p.low != null && p.high != null ? (
                <line x1={cx} x2={cx} y1={y(p.low)} y2={y(p.high)} stroke="#1c1917" />
              ) : null}
              <text x={cx} y={H - 8} textAnchor="middle" fontSize="11" fill="#57534e">
                {p.day}
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
