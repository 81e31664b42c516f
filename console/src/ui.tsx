/**
 * The console's building blocks: data loading with its problem, the problem box (title, detail, what to do),
 * tables that export to CSV, accessible bar charts (SVG with a text equivalent) and links for the router.
 */
import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { ProblemError, api, type Problem } from './api';
import { navigate } from './router';

export interface Loaded<T> {
  readonly data: T | undefined;
  readonly problem: Problem | undefined;
  readonly loading: boolean;
  readonly reload: () => void;
}

/** GETs `path` (again when it changes or on reload()). */
export function useGet<T>(path: string | undefined): Loaded<T> {
  const [state, setState] = useState<{ data?: T; problem?: Problem; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (path === undefined) return;
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    api<T>('GET', path).then(
      (data) => live && setState({ data, loading: false }),
      (err: unknown) => live && setState({ problem: problemOf(err), loading: false }),
    );
    return () => {
      live = false;
    };
  }, [path, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data: state.data, problem: state.problem, loading: state.loading, reload };
}

export function problemOf(err: unknown): Problem {
  if (err instanceof ProblemError) return err.problem;
  return { title: 'The console failed', status: 0, detail: String(err), code: 'PB_ERR_CONSOLE' };
}

/** What the admin can do about a problem, by its HTTP status (the detail says what exactly was wrong). */
function advice(p: Problem): string {
  if (p.status === 0) return 'Check that Patchbay is running and reachable, then retry.';
  if (p.status === 401) return 'Sign in again.';
  if (p.status === 403)
    return p.context?.['reason'] === 'csrf'
      ? 'Reload the console and retry.'
      : 'Your token does not have the role for this; ask an administrator.';
  if (p.status === 404) return 'It may have been removed; reload the list.';
  if (p.status === 409) return 'Wait for the running operation to finish, then retry.';
  if (p.status >= 400 && p.status < 500) return 'Correct the value named above and retry.';
  return 'Retry; if it keeps failing, see the server log for this error code.';
}

export function ProblemBox({ problem }: { problem: Problem | undefined }) {
  if (problem === undefined) return null;
  return (
    <div role="alert" className="problem">
      <strong>{problem.title}</strong>
      <p>{problem.detail}</p>
      <p>
        What to do: {advice(problem)} <code>{problem.code}</code>
      </p>
    </div>
  );
}

export function Link({ to, children, className }: { to: string; children: ReactNode; className?: string }) {
  return (
    <a
      href={to}
      className={className}
      onClick={(e) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
        e.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}

export interface Column<T> {
  readonly label: string;
  readonly value: (row: T) => string | number | boolean | null | undefined;
  readonly render?: (row: T) => ReactNode;
}

/** RFC 4180 quoting; a leading = + - @ is prefixed with ' so a spreadsheet never runs it as a formula. */
export function csvCell(v: unknown): string {
  let s = v === null || v === undefined ? '' : text(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

function downloadCsv<T>(name: string, columns: readonly Column<T>[], rows: readonly T[]): void {
  const lines = [columns.map((c) => csvCell(c.label)).join(',')];
  for (const r of rows) lines.push(columns.map((c) => csvCell(c.value(r))).join(','));
  const url = URL.createObjectURL(new Blob([lines.join('\r\n') + '\r\n'], { type: 'text/csv' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = `${name}.csv`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function Table<T>(props: {
  readonly caption: string;
  readonly name: string;
  readonly columns: readonly Column<T>[];
  readonly rows: readonly T[] | undefined;
  readonly rowKey: (row: T) => string;
  readonly empty?: string;
  readonly select?: { selected: ReadonlySet<string>; toggle(key: string, on: boolean): void };
}) {
  const rows = props.rows ?? [];
  const allOn =
    props.select !== undefined &&
    rows.length > 0 &&
    rows.every((r) => props.select!.selected.has(props.rowKey(r)));
  return (
    <div className="table-wrap">
      <div className="table-tools">
        <button
          type="button"
          onClick={() => downloadCsv(props.name, props.columns, rows)}
          disabled={rows.length === 0}
        >
          Export {props.caption} to CSV
        </button>
      </div>
      <table>
        <caption>{props.caption}</caption>
        <thead>
          <tr>
            {props.select && (
              <th scope="col">
                <input
                  type="checkbox"
                  aria-label="Select all rows on this page"
                  checked={allOn}
                  onChange={(e) =>
                    rows.forEach((r) => props.select!.toggle(props.rowKey(r), e.target.checked))
                  }
                />
              </th>
            )}
            {props.columns.map((c) => (
              <th scope="col" key={c.label}>
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 && (
            <tr>
              <td colSpan={props.columns.length + (props.select ? 1 : 0)}>
                {props.empty ?? 'Nothing to show.'}
              </td>
            </tr>
          )}
          {rows.map((r) => {
            const key = props.rowKey(r);
            return (
              <tr key={key}>
                {props.select && (
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`Select ${key}`}
                      checked={props.select.selected.has(key)}
                      onChange={(e) => props.select!.toggle(key, e.target.checked)}
                    />
                  </td>
                )}
                {props.columns.map((c) => (
                  <td key={c.label}>{c.render ? c.render(r) : fmt(c.value(r))}</td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

export function fmt(v: unknown): string {
  if (v === null || v === undefined || v === '') return '—';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return text(v);
}

/** A value as text; objects as JSON (never "[object Object]"). */
function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return v.toString();
  return JSON.stringify(v) ?? '';
}

export function when(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return 'never';
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? String(v) : d.toLocaleString();
}

/** Horizontal bars: an SVG drawn for the eye, hidden from screen readers, beside the same figures as a list. */
export function Bars({
  title,
  bars,
}: {
  title: string;
  bars: readonly { label: string; value: number; total: number }[];
}) {
  const rowH = 28;
  return (
    <figure className="bars">
      <figcaption>{title}</figcaption>
      {bars.length === 0 ? (
        <p>No data yet: no computer has reported.</p>
      ) : (
        <>
          <svg viewBox={`0 0 300 ${bars.length * rowH}`} width="100%" aria-hidden="true" focusable="false">
            {bars.map((b, i) => {
              const pct = b.total > 0 ? b.value / b.total : 0;
              return (
                <g key={b.label} transform={`translate(0 ${i * rowH})`}>
                  <rect x="110" y="4" width="180" height="18" className="bar-bg" />
                  <rect x="110" y="4" width={Math.round(180 * pct)} height="18" className="bar-fg" />
                  <text x="0" y="18" className="bar-label">
                    {b.label.slice(0, 16)}
                  </text>
                </g>
              );
            })}
          </svg>
          <ul className="bar-figures">
            {bars.map((b) => (
              <li key={b.label}>
                {b.label}: {b.total > 0 ? Math.round((100 * b.value) / b.total) : 0}% ({b.value} of {b.total})
              </li>
            ))}
          </ul>
        </>
      )}
    </figure>
  );
}

export function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <label className="field">
      <span>{label}</span>
      {children}
    </label>
  );
}

/** Columns for API rows whose shape the page does not fix: every scalar field, times shown as dates. */
export function autoColumns(
  rows: readonly Record<string, unknown>[] | undefined,
  skip: readonly string[] = [],
): Column<Record<string, unknown>>[] {
  const keys: string[] = [];
  for (const r of (rows ?? []).slice(0, 20))
    for (const [k, v] of Object.entries(r))
      if (!keys.includes(k) && !skip.includes(k) && (v === null || typeof v !== 'object')) keys.push(k);
  return keys.map((k) => ({
    label: k,
    value: (r) => {
      const v = r[k];
      if (typeof v === 'number' && /At$/.test(k) && v > 1e12) return new Date(v).toISOString();
      return v as string | number | boolean | null | undefined;
    },
  }));
}

/** One list page: GET path, its items as a table with every scalar column. */
export function ListOf({
  caption,
  name,
  path,
  itemsKey = 'items',
  rowKey,
  skip,
}: {
  caption: string;
  name: string;
  path: string | undefined;
  itemsKey?: string;
  rowKey: (r: Record<string, unknown>) => string;
  skip?: readonly string[];
}) {
  const list = useGet<Record<string, unknown>>(path);
  const rows = list.data?.[itemsKey] as Record<string, unknown>[] | undefined;
  return (
    <>
      <ProblemBox problem={list.problem} />
      <Table
        caption={caption}
        name={name}
        rows={rows}
        rowKey={rowKey}
        columns={autoColumns(rows, skip)}
        empty={list.loading ? 'Loading…' : 'None.'}
      />
    </>
  );
}
