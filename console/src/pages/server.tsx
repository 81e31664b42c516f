/**
 * The server itself: synchronization (history with typed errors, "sync now" followed live over SSE), the
 * catalog (generations, quarantine with reasons, rollback and pin with a dry run saying what clients will
 * see change), content and the run-time settings.
 */
import { useEffect, useState } from 'react';
import { api, followJob, type Job, type Problem } from '../api';
import { useCan } from '../roles';
import { Field, ListOf, ProblemBox, Table, autoColumns, fmt, problemOf, useGet, when } from '../ui';

function JobProgress({ job }: { job: Job | undefined }) {
  if (!job) return null;
  const p = job.progress;
  return (
    <div role="status" aria-live="polite" data-testid="job-state" className="job">
      {job.kind} {job.state}
      {p && p.phase ? `: ${p.phase}` : ''}
      {p && p.total ? ` (${p.done} of ${p.total})` : ''}
      {job.state === 'failed' && job.error
        ? ` — ${job.error.code ?? ''} ${job.error.message ?? job.error.title ?? ''}`
        : ''}
      {p && p.total ? <progress max={p.total} value={p.done} aria-label="Progress" /> : null}
    </div>
  );
}

/** Starts a job with POST path and follows it until done; `after` runs when it ends. */
function useJob(after: () => void) {
  const [job, setJob] = useState<Job>();
  const [problem, setProblem] = useState<Problem>();
  const [stop, setStop] = useState<() => void>();
  useEffect(() => () => stop?.(), [stop]);
  const start = (path: string, body: unknown = {}) => {
    setProblem(undefined);
    api<{ job: Job }>('POST', path, body).then(
      ({ job: j }) => {
        setJob(j);
        const close = followJob(j.id, (next) => {
          setJob(next);
          if (next.state === 'succeeded' || next.state === 'failed') after();
        });
        setStop(() => close);
      },
      (e: unknown) => setProblem(problemOf(e)),
    );
  };
  return {
    job,
    problem,
    start,
    running: job !== undefined && (job.state === 'queued' || job.state === 'running'),
  };
}

export function Sync() {
  const can = useCan();
  const status = useGet<
    {
      stale?: boolean;
      lastGoodAt?: number | string | null;
      nextRunAt?: number | string | null;
      job?: Job | null;
    } & Record<string, unknown>
  >('/sync/status');
  const history = useGet<{ items: Record<string, unknown>[] }>('/sync/history?limit=50');
  const sync = useJob(() => {
    status.reload();
    history.reload();
  });
  const s = status.data;
  return (
    <section>
      <h1>Synchronization</h1>
      <ProblemBox problem={status.problem} />
      {s && (
        <p>
          {s.stale ? (
            <strong className="warn-text">
              The catalog is stale: no good synchronization recently. Clients still get the last good catalog.
            </strong>
          ) : (
            'The catalog is up to date.'
          )}{' '}
          Last good synchronization: {when(s.lastGoodAt)}.
        </p>
      )}
      {can.server && (
        <p>
          <button type="button" disabled={sync.running} onClick={() => sync.start('/sync')}>
            Synchronize now
          </button>
        </p>
      )}
      <JobProgress job={sync.job ?? s?.job ?? undefined} />
      <ProblemBox problem={sync.problem} />
      <ProblemBox problem={history.problem} />
      <Table
        caption="Synchronization history"
        name="sync-history"
        rows={history.data?.items}
        rowKey={(r) => String(r['syncRunId'])}
        columns={autoColumns(history.data?.items)}
        empty="No synchronization yet."
      />
    </section>
  );
}

interface Generation {
  generationId: number;
  state: string;
  memberCount: number;
  createdAt: number;
  activatedAt: number | null;
}
interface CatalogStatus {
  active: Generation | null;
  pin: { generationId: number; pinnedAt: number; pinnedBy: string | null } | null;
  recentGenerations: Generation[];
  revisions: number;
  quarantined: number;
  stale: boolean;
}
interface RollbackPlan {
  fromGenerationId?: number;
  toGenerationId?: number;
  added?: { updateId?: string; title?: string | null }[];
  removed?: { updateId?: string; title?: string | null }[];
  changed?: { updateId?: string; title?: string | null }[];
}

export function Catalog() {
  const can = useCan();
  const cat = useGet<CatalogStatus>('/catalog');
  const [to, setTo] = useState('');
  const [plan, setPlan] = useState<{
    kind: 'rollback' | 'pin';
    body: Record<string, unknown>;
    diff: RollbackPlan;
  }>();
  const [problem, setProblem] = useState<Problem>();
  const [done, setDone] = useState<string>();
  const c = cat.data;
  const preview = (kind: 'rollback' | 'pin') => {
    setProblem(undefined);
    setDone(undefined);
    const body: Record<string, unknown> = to === '' ? {} : { to: Number(to) };
    if (kind === 'pin' && to === '') {
      setProblem({
        title: 'Choose a generation',
        status: 400,
        detail: 'Pinning needs the generation to serve.',
        code: 'PB_ERR_CONSOLE',
      });
      return;
    }
    // The rollback's dry run says what clients would see change; a pin to N is the same change.
    api<RollbackPlan>('POST', '/catalog/rollback', { ...body, dryRun: true }).then(
      (diff) => setPlan({ kind, body: kind === 'pin' ? { generation: Number(to) } : body, diff }),
      (e: unknown) => setProblem(problemOf(e)),
    );
  };
  const confirm = () => {
    if (!plan) return;
    api<RollbackPlan>('POST', plan.kind === 'pin' ? '/catalog/pin' : '/catalog/rollback', plan.body).then(
      () => {
        setDone(
          `Done: clients are served generation ${plan.diff.toGenerationId ?? to} from their next scan, and it is pinned.`,
        );
        setPlan(undefined);
        cat.reload();
      },
      (e: unknown) => setProblem(problemOf(e)),
    );
  };
  const unpin = () =>
    api('DELETE', '/catalog/pin').then(
      () => {
        setDone('Unpinned: the next synchronization activates the catalog it builds.');
        cat.reload();
      },
      (e: unknown) => setProblem(problemOf(e)),
    );
  const n = (xs: unknown[] | undefined) => (xs ?? []).length;
  return (
    <section>
      <h1>Catalog</h1>
      <ProblemBox problem={cat.problem} />
      {c && (
        <p data-testid="catalog-state">
          Clients are served generation <strong>{c.active?.generationId ?? 'none'}</strong>
          {c.pin ? `, pinned since ${when(c.pin.pinnedAt)} by ${fmt(c.pin.pinnedBy)}` : ', not pinned'}.{' '}
          {c.revisions} revisions stored, {c.quarantined} quarantined.
        </p>
      )}
      <Table
        caption="Recent catalog generations"
        name="generations"
        rows={c?.recentGenerations}
        rowKey={(g) => String(g.generationId)}
        columns={[
          { label: 'Generation', value: (g) => g.generationId },
          { label: 'State', value: (g) => g.state },
          { label: 'Revisions', value: (g) => g.memberCount },
          { label: 'Created', value: (g) => when(g.createdAt) },
          { label: 'Activated', value: (g) => when(g.activatedAt) },
        ]}
      />
      {can.server && (
        <fieldset>
          <legend>Roll back or pin</legend>
          <Field label="Generation (empty: the previous one)">
            <input type="number" min={1} value={to} onChange={(e) => setTo(e.target.value)} />
          </Field>
          <div className="buttons">
            <button type="button" onClick={() => preview('rollback')}>
              Preview rollback
            </button>
            <button type="button" onClick={() => preview('pin')}>
              Preview pin
            </button>
            {c?.pin && (
              <button type="button" onClick={() => void unpin()}>
                Unpin
              </button>
            )}
          </div>
          {plan && (
            <div className="preview" role="region" aria-label="What clients will see">
              <p>
                Clients will be served generation {plan.diff.toGenerationId} instead of{' '}
                {plan.diff.fromGenerationId}: {n(plan.diff.removed)} update revision(s) no longer offered,{' '}
                {n(plan.diff.added)} offered again, {n(plan.diff.changed)} at another revision. The catalog
                stays pinned until you unpin it.
              </p>
              <ul>
                {[
                  ...(plan.diff.removed ?? []).map((x) => ['no longer offered', x] as const),
                  ...(plan.diff.added ?? []).map((x) => ['offered', x] as const),
                ]
                  .slice(0, 30)
                  .map(([what, x], i) => (
                    <li key={i}>
                      {what}: {x.title ?? x.updateId}
                    </li>
                  ))}
              </ul>
              <button type="button" onClick={confirm}>
                Confirm {plan.kind}
              </button>{' '}
              <button type="button" onClick={() => setPlan(undefined)}>
                Cancel
              </button>
            </div>
          )}
          {done && <p role="status">{done}</p>}
          <ProblemBox problem={problem} />
        </fieldset>
      )}
      <h2>Quarantine</h2>
      <p>
        Revisions the synchronization held out of the catalog: clients are not offered them until they are
        fixed upstream.
      </p>
      <ListOf
        caption="Quarantined revisions"
        name="quarantine"
        path="/catalog/quarantine?limit=500"
        rowKey={(r) => `${String(r['updateId'])}/${String(r['revisionNumber'])}`}
      />
    </section>
  );
}

export function Content() {
  const can = useCan();
  const status = useGet<Record<string, unknown>>('/content');
  const job = useJob(() => status.reload());
  const s = status.data;
  const states = (s?.['states'] ?? {}) as Record<string, { files: number; bytes: number }>;
  const failures = (s?.['failures'] ?? s?.['latestFailures'] ?? []) as Record<string, unknown>[];
  return (
    <section>
      <h1>Content</h1>
      <ProblemBox problem={status.problem} />
      <p>Content mode: {fmt(s?.['mode'])}.</p>
      <Table
        caption="Files by download state"
        name="content-states"
        rows={Object.entries(states).map(([state, v]) => ({ state, ...v }))}
        rowKey={(r) => r.state}
        columns={[
          { label: 'State', value: (r) => r.state },
          { label: 'Files', value: (r) => r.files },
          { label: 'Bytes', value: (r) => r.bytes },
        ]}
      />
      {can.server && (
        <div className="buttons">
          <button type="button" disabled={job.running} onClick={() => job.start('/content/download')}>
            Download queued files now
          </button>
          <button type="button" disabled={job.running} onClick={() => job.start('/content/verify')}>
            Verify stored files
          </button>
        </div>
      )}
      <JobProgress job={job.job} />
      <ProblemBox problem={job.problem} />
      <Table
        caption="Latest download failures"
        name="content-failures"
        rows={failures}
        rowKey={(r) => JSON.stringify(r)}
        columns={autoColumns(failures)}
        empty="No failure."
      />
    </section>
  );
}

export function Settings() {
  const can = useCan();
  const settings = useGet<{
    runtime: { targetingMode: string; ruleSwitches: Record<string, boolean> };
    selection: unknown;
    config: unknown;
  }>('/settings');
  const [problem, setProblem] = useState<Problem>();
  const s = settings.data;
  const patch = (body: unknown) =>
    api('PATCH', '/settings', body).then(settings.reload, (e: unknown) => setProblem(problemOf(e)));
  return (
    <section>
      <h1>Settings</h1>
      <ProblemBox problem={settings.problem} />
      {s && (
        <>
          <h2>Changeable now</h2>
          <Field label="Targeting mode">
            <select
              value={s.runtime.targetingMode}
              disabled={!can.server}
              onChange={(e) => void patch({ targetingMode: e.target.value })}
            >
              <option value="server">server-side (groups set in Patchbay)</option>
              <option value="client">client-side (computers name their group)</option>
            </select>
          </Field>
          {Object.entries(s.runtime.ruleSwitches).map(([k, v]) => (
            <label key={k} className="check">
              <input
                type="checkbox"
                checked={v}
                disabled={!can.server}
                onChange={(e) => void patch({ ruleSwitches: { [k]: e.target.checked } })}
              />{' '}
              {k}
            </label>
          ))}
          <ProblemBox problem={problem} />
          <h2>Selection</h2>
          <pre className="inventory" tabIndex={0}>
            {JSON.stringify(s.selection, null, 2)}
          </pre>
          <h2>Effective configuration (read-only, secrets redacted)</h2>
          <pre className="inventory" tabIndex={0}>
            {JSON.stringify(s.config, null, 2)}
          </pre>
        </>
      )}
    </section>
  );
}
