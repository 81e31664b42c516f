/** The dashboard: GET /status (what `patchbay status` prints) and the compliance reports, as figures and bars. */
import { Bars, Link, ProblemBox, Table, useGet, when } from '../ui';

interface Status {
  version: string;
  sync: {
    last: { outcome: string; startedAt: string; finishedAt: string | null; kind: string } | null;
    lastGood: { finishedAt: string | null } | null;
    nextScheduledAt: string | null;
  };
  catalog: { activeGenerationId: number | null; pinnedGenerationId: number | null; revisions: number };
  quarantinedRevisions: number;
  content: { queuedFiles: number; failedFiles: number; files: number; mode: string };
  clients: {
    computers: number;
    activeLastHour: number;
    installFailuresLastHour: number;
    compliance: Record<'compliant' | 'needed' | 'failed' | 'unknown', number>;
  };
  warnings: { name: string; status: string; message: string }[];
}
interface Report {
  rows: Record<string, string | number | null>[];
}
interface Rollout {
  rolloutId: number | string;
  updateId?: string;
  title?: string | null;
  state: string;
  ring?: string | null;
  currentRing?: string | null;
}

export function Dashboard() {
  const status = useGet<Status>('/status');
  const severity = useGet<Report>('/reports/compliance/severity');
  const groups = useGet<Report>('/reports/compliance/groups');
  const silent = useGet<{ items: { computerId: string; name: string | null; lastSyncAt: string | null }[] }>(
    '/computers?silentDays=7&limit=20',
  );
  const rollouts = useGet<{ items: Rollout[] }>('/rollouts');
  const s = status.data;
  const pct = (row: Record<string, string | number | null>) => Number(row['compliance'] ?? 0);
  return (
    <section aria-busy={status.loading}>
      <h1>Dashboard</h1>
      <ProblemBox problem={status.problem} />
      {s && (
        <>
          {s.warnings.length > 0 && (
            <div role="alert" className="warning">
              <strong>Warnings</strong>
              <ul>
                {s.warnings.map((w) => (
                  <li key={w.name}>
                    {w.name}: {w.message}
                  </li>
                ))}
              </ul>
            </div>
          )}
          <dl className="cards" data-testid="dashboard-figures">
            <div>
              <dt>Last synchronization</dt>
              <dd>
                {s.sync.last
                  ? `${s.sync.last.outcome}, ${when(s.sync.last.finishedAt ?? s.sync.last.startedAt)}`
                  : 'never'}
              </dd>
            </div>
            <div>
              <dt>Next synchronization</dt>
              <dd>
                {s.sync.nextScheduledAt ? when(s.sync.nextScheduledAt) : 'not scheduled (by hand only)'}
              </dd>
            </div>
            <div>
              <dt>Catalog generation served</dt>
              <dd>
                {s.catalog.activeGenerationId ?? 'none yet'}
                {s.catalog.pinnedGenerationId !== null && ` (pinned to ${s.catalog.pinnedGenerationId})`}
              </dd>
            </div>
            <div>
              <dt>Quarantined revisions</dt>
              <dd>
                <Link to="/catalog">{s.quarantinedRevisions}</Link>
              </dd>
            </div>
            <div>
              <dt>Content</dt>
              <dd>
                {s.content.files} files stored, {s.content.queuedFiles} queued, {s.content.failedFiles} failed
              </dd>
            </div>
            <div>
              <dt>Computers</dt>
              <dd>
                {s.clients.computers} ({s.clients.activeLastHour} seen in the last hour,{' '}
                {s.clients.installFailuresLastHour} install failures)
              </dd>
            </div>
          </dl>
        </>
      )}
      <div className="charts">
        <ProblemBox problem={severity.problem} />
        <Bars
          title="Compliance by severity"
          bars={(severity.data?.rows ?? []).map((r) => ({
            label: String(r['severity']),
            value: pct(r),
            total: 100,
          }))}
        />
        <ProblemBox problem={groups.problem} />
        <Bars
          title="Compliance by group"
          bars={(groups.data?.rows ?? [])
            .filter((r) => Number(r['computers']) > 0)
            .map((r) => ({ label: String(r['group']), value: pct(r), total: 100 }))}
        />
      </div>
      <h2>Computers not reporting (7 days)</h2>
      <ProblemBox problem={silent.problem} />
      <Table
        caption="Computers not reporting for 7 days"
        name="computers-not-reporting"
        rows={silent.data?.items}
        rowKey={(c) => c.computerId}
        empty="Every computer reported in the last 7 days."
        columns={[
          {
            label: 'Computer',
            value: (c) => c.name ?? c.computerId,
            render: (c) => (
              <Link to={`/computers/${encodeURIComponent(c.computerId)}`}>{c.name ?? c.computerId}</Link>
            ),
          },
          { label: 'Last contact', value: (c) => when(c.lastSyncAt) },
        ]}
      />
      <h2>Rollouts in progress</h2>
      <ProblemBox problem={rollouts.problem} />
      <Table
        caption="Rollouts in progress"
        name="rollouts"
        rows={rollouts.data?.items}
        rowKey={(r) => String(r.rolloutId)}
        empty="No ringed approval is running."
        columns={[
          { label: 'Rollout', value: (r) => r.rolloutId },
          { label: 'Update', value: (r) => r.title ?? r.updateId },
          { label: 'State', value: (r) => r.state },
          { label: 'Ring', value: (r) => r.currentRing ?? r.ring },
        ]}
      />
    </section>
  );
}
