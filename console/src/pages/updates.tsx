/**
 * Updates: the filters of GET /updates, server-side cursor paging (the server never counts or sorts 100,000
 * rows for a page), multi-select with approve / unapprove / decline for groups, always previewed with a dry
 * run first so the admin sees what would change before it does; and one update's detail.
 */
import { useMemo, useState, type FormEvent } from 'react';
import { api, query } from '../api';
import { useCan } from '../roles';
import { Field, Link, ProblemBox, Table, fmt, problemOf, useGet, when } from '../ui';
import type { Problem } from '../api';

interface UpdateRow {
  updateId: string;
  title: string | null;
  kbArticleId: string | null;
  msrcSeverity: string | null;
  isDeclined: boolean;
  isSuperseded: boolean;
  neededCount: number;
  approvalCount: number;
  catalogState: string;
  classifications: { title?: string }[];
  content: { state: string; reason: string | null } | null;
}
interface Page<T> {
  items: T[];
  nextCursor?: string;
}
interface Named {
  id?: string;
  title?: string;
  selected?: boolean;
}

const pageSize = 50;
const emptyFilters = {
  text: '',
  kb: '',
  classification: '',
  product: '',
  severity: '',
  approval: '',
  superseded: '',
  needed: '',
  failed: '',
};
type Filters = typeof emptyFilters;

function Select({
  label,
  value,
  onChange,
  options,
}: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  options: readonly [string, string][];
}) {
  return (
    <Field label={label}>
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">any</option>
        {options.map(([v, l]) => (
          <option key={v} value={v}>
            {l}
          </option>
        ))}
      </select>
    </Field>
  );
}

const yesNo: [string, string][] = [
  ['true', 'yes'],
  ['false', 'no'],
];

interface Change {
  updateId: string;
  groupId?: string;
  groupName?: string;
  group?: string;
  action?: string;
  title?: string | null;
}

function ActionPanel({
  selected,
  groups,
  onDone,
}: {
  selected: readonly string[];
  groups: readonly { name: string }[];
  onDone: () => void;
}) {
  const [chosen, setChosen] = useState<string[]>([]);
  const [action, setAction] = useState('install');
  const [deadline, setDeadline] = useState('');
  const [preview, setPreview] = useState<{ what: string; body: unknown; path: string; changes: Change[] }>();
  const [problem, setProblem] = useState<Problem>();
  const [done, setDone] = useState<string>();

  const plan = (what: 'approve' | 'unapprove' | 'decline') => {
    setDone(undefined);
    setProblem(undefined);
    const updateIds = [...selected];
    let path: string;
    let body: Record<string, unknown>;
    if (what === 'decline') {
      path = '/declines';
      body = { updateIds };
    } else if (what === 'unapprove') {
      path = '/approvals/remove';
      body = { updateIds, groups: chosen };
    } else {
      path = '/approvals';
      body = {
        updateIds,
        groups: chosen,
        action,
        deadline: deadline === '' ? null : new Date(deadline).toISOString(),
      };
    }
    api<{ changes: Change[] }>('POST', path, { ...body, dryRun: true }).then(
      (r) => setPreview({ what, body, path, changes: r.changes }),
      (e: unknown) => setProblem(problemOf(e)),
    );
  };
  const apply = () => {
    if (!preview) return;
    api<{ changes: Change[] }>('POST', preview.path, preview.body).then(
      (r) => {
        setDone(`${preview.what}: ${r.changes.length} change(s) made. Clients see them at their next scan.`);
        setPreview(undefined);
        onDone();
      },
      (e: unknown) => setProblem(problemOf(e)),
    );
  };
  return (
    <fieldset className="actions">
      <legend>{selected.length} update(s) selected</legend>
      <Field label="Groups">
        <select
          multiple
          value={chosen}
          onChange={(e) => setChosen([...e.target.selectedOptions].map((o) => o.value))}
        >
          {groups.map((g) => (
            <option key={g.name} value={g.name}>
              {g.name}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Approval">
        <select value={action} onChange={(e) => setAction(e.target.value)}>
          <option value="install">Install</option>
          <option value="uninstall">Uninstall</option>
          <option value="not_approved">Not approved (overrides a parent group)</option>
        </select>
      </Field>
      <Field label="Deadline (optional)">
        <input type="datetime-local" value={deadline} onChange={(e) => setDeadline(e.target.value)} />
      </Field>
      <div className="buttons">
        <button
          type="button"
          disabled={selected.length === 0 || chosen.length === 0}
          onClick={() => plan('approve')}
        >
          Preview approval
        </button>
        <button
          type="button"
          disabled={selected.length === 0 || chosen.length === 0}
          onClick={() => plan('unapprove')}
        >
          Preview unapproval
        </button>
        <button type="button" disabled={selected.length === 0} onClick={() => plan('decline')}>
          Preview decline
        </button>
      </div>
      <ProblemBox problem={problem} />
      {done && <p role="status">{done}</p>}
      {preview && (
        <div className="preview" role="region" aria-label="Preview">
          <p>
            Dry run of <strong>{preview.what}</strong>: {preview.changes.length} change(s) would be made
            {preview.what === 'decline' ? '; declined updates are hidden from every client.' : '.'}
          </p>
          <ul>
            {preview.changes.slice(0, 50).map((c, i) => (
              <li key={i}>
                {c.title ?? c.updateId} {c.groupName ?? c.group ?? ''} {c.action ?? ''}
              </li>
            ))}
          </ul>
          <button type="button" onClick={apply} disabled={preview.changes.length === 0}>
            Confirm {preview.what}
          </button>{' '}
          <button type="button" onClick={() => setPreview(undefined)}>
            Cancel
          </button>
        </div>
      )}
    </fieldset>
  );
}

interface SupersededPlan {
  declined: { updateId: string; title: string | null }[];
  kept: { updateId: string; title: string | null; keep: { message: string } | null }[];
}

/** The safe rule (docs/administration.md): the dry run lists what it declines and why it keeps the rest. */
function SupersededCleanup({ onDone }: { onDone: () => void }) {
  const [plan, setPlan] = useState<SupersededPlan>();
  const [problem, setProblem] = useState<Problem>();
  const [done, setDone] = useState<string>();
  const run = (dryRun: boolean) => {
    setProblem(undefined);
    api<SupersededPlan>('POST', '/declines/superseded', { dryRun }).then(
      (r) => {
        if (dryRun) return setPlan(r);
        setPlan(undefined);
        setDone(`${r.declined.length} superseded update(s) declined.`);
        onDone();
      },
      (e: unknown) => setProblem(problemOf(e)),
    );
  };
  return (
    <div>
      <button type="button" onClick={() => run(true)}>
        Preview declining superseded updates
      </button>
      {plan && (
        <div className="preview" role="region" aria-label="Superseded updates">
          <p>
            {plan.declined.length} superseded update(s) would be declined. {plan.kept.length} kept by the safe
            rule.
          </p>
          <ul>
            {plan.declined.slice(0, 50).map((d) => (
              <li key={d.updateId}>declined: {d.title ?? d.updateId}</li>
            ))}
            {plan.kept.slice(0, 50).map((k) => (
              <li key={k.updateId}>
                kept: {k.title ?? k.updateId} — {k.keep?.message ?? ''}
              </li>
            ))}
          </ul>
          <button type="button" disabled={plan.declined.length === 0} onClick={() => run(false)}>
            Confirm decline of superseded updates
          </button>
        </div>
      )}
      {done && <p role="status">{done}</p>}
      <ProblemBox problem={problem} />
    </div>
  );
}

export function Updates() {
  const can = useCan();
  const [draft, setDraft] = useState<Filters>(emptyFilters);
  const [filters, setFilters] = useState<Filters>(emptyFilters);
  // Cursor paging: the cursors of the pages before this one, so "Previous" needs no offset.
  const [cursors, setCursors] = useState<string[]>([]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const cursor = cursors[cursors.length - 1];
  const path = useMemo(
    () =>
      '/updates' +
      query({
        ...filters,
        classification: filters.classification === '' ? undefined : [filters.classification],
        product: filters.product === '' ? undefined : [filters.product],
        limit: pageSize,
        cursor,
      }),
    [filters, cursor],
  );
  const page = useGet<Page<UpdateRow>>(path);
  const classes = useGet<{ classifications?: Named[] }>('/classifications');
  const products = useGet<{ products?: Named[] }>('/products');
  const groups = useGet<Page<{ name: string }>>(can.approve ? '/groups?limit=500' : undefined);
  const set = (k: keyof Filters) => (v: string) => setDraft((d) => ({ ...d, [k]: v }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setCursors([]);
    setFilters(draft);
  };
  const named = (xs: Named[] | undefined) =>
    (xs ?? []).map((x): [string, string] => [x.title ?? x.id ?? '', x.title ?? x.id ?? '']);
  return (
    <section>
      <h1>Updates</h1>
      <form className="filters" onSubmit={submit} aria-label="Update filters">
        <Field label="Search (title, KB or id)">
          <input type="search" value={draft.text} onChange={(e) => set('text')(e.target.value)} />
        </Field>
        <Field label="KB">
          <input value={draft.kb} onChange={(e) => set('kb')(e.target.value)} inputMode="numeric" />
        </Field>
        <Select
          label="Classification"
          value={draft.classification}
          onChange={set('classification')}
          options={named(classes.data?.classifications)}
        />
        <Select
          label="Product"
          value={draft.product}
          onChange={set('product')}
          options={named(products.data?.products)}
        />
        <Select
          label="Severity"
          value={draft.severity}
          onChange={set('severity')}
          options={['Critical', 'Important', 'Moderate', 'Low'].map((s): [string, string] => [s, s])}
        />
        <Select
          label="Approval"
          value={draft.approval}
          onChange={set('approval')}
          options={[
            ['approved', 'approved'],
            ['unapproved', 'not approved'],
            ['declined', 'declined'],
          ]}
        />
        <Select label="Superseded" value={draft.superseded} onChange={set('superseded')} options={yesNo} />
        <Select label="Needed" value={draft.needed} onChange={set('needed')} options={yesNo} />
        <Select label="Failed" value={draft.failed} onChange={set('failed')} options={yesNo} />
        <div className="buttons">
          <button type="submit">Apply filters</button>
          <button
            type="button"
            onClick={() => {
              setDraft(emptyFilters);
              setFilters(emptyFilters);
              setCursors([]);
            }}
          >
            Clear
          </button>
        </div>
      </form>
      <ProblemBox problem={page.problem} />
      {can.approve && (
        <>
          <ActionPanel
            selected={[...selected]}
            groups={groups.data?.items ?? []}
            onDone={() => {
              setSelected(new Set());
              page.reload();
            }}
          />
          <SupersededCleanup onDone={page.reload} />
        </>
      )}
      <div aria-live="polite" aria-busy={page.loading} data-testid="updates-table">
        <Table
          caption={`Updates, page ${cursors.length + 1}`}
          name="updates"
          rows={page.data?.items}
          rowKey={(u) => u.updateId}
          empty={page.loading ? 'Loading…' : 'No update matches these filters.'}
          {...(can.approve
            ? {
                select: {
                  selected,
                  toggle: (k: string, on: boolean) =>
                    setSelected((s) => {
                      const n = new Set(s);
                      if (on) n.add(k);
                      else n.delete(k);
                      return n;
                    }),
                },
              }
            : {})}
          columns={[
            {
              label: 'Title',
              value: (u) => u.title,
              render: (u) => <Link to={`/updates/${u.updateId}`}>{u.title ?? u.updateId}</Link>,
            },
            { label: 'KB', value: (u) => u.kbArticleId },
            { label: 'Severity', value: (u) => u.msrcSeverity },
            { label: 'Classification', value: (u) => u.classifications.map((c) => c.title).join(', ') },
            { label: 'Needed by', value: (u) => u.neededCount },
            { label: 'Approvals', value: (u) => u.approvalCount },
            { label: 'Declined', value: (u) => u.isDeclined },
            { label: 'Superseded', value: (u) => u.isSuperseded },
            { label: 'Clients get', value: (u) => u.catalogState },
          ]}
        />
      </div>
      <nav className="pager" aria-label="Pages of updates">
        <button
          type="button"
          disabled={cursors.length === 0}
          onClick={() => setCursors((c) => c.slice(0, -1))}
        >
          Previous page
        </button>
        <span>Page {cursors.length + 1}</span>
        <button
          type="button"
          disabled={page.data?.nextCursor === undefined}
          onClick={() => page.data?.nextCursor && setCursors((c) => [...c, page.data!.nextCursor!])}
        >
          Next page
        </button>
      </nav>
    </section>
  );
}

interface Detail extends UpdateRow {
  revisionNumber: number;
  updateType: string;
  publicationState: string | null;
  servedRevisionNumber: number | null;
  quarantine: { reasonCode: string; detail: string | null } | null;
  products: { title?: string }[];
  supersededBy: {
    updateId: string;
    kbArticleId: string | null;
    title: string | null;
    approved: boolean;
    declined: boolean;
  }[];
  bundleMembers: string[];
  statusCounts: Record<string, number>;
  approvals: {
    groupName: string;
    action: string;
    deadlineAt: number | null;
    approvedBy: string;
    approvedAt: number;
  }[];
}

export function UpdateDetail({ id }: { id: string }) {
  const u = useGet<Detail>(`/updates/${encodeURIComponent(id)}`);
  const d = u.data;
  return (
    <section>
      <p>
        <Link to="/updates">Back to updates</Link>
      </p>
      <ProblemBox problem={u.problem} />
      {d && (
        <>
          <h1>{d.title ?? d.updateId}</h1>
          <dl className="facts">
            <dt>Update id</dt>
            <dd>
              <code>{d.updateId}</code> revision {d.revisionNumber}
            </dd>
            <dt>KB</dt>
            <dd>
              {d.kbArticleId ? (
                <a
                  href={`https://support.microsoft.com/help/${encodeURIComponent(d.kbArticleId)}`}
                  rel="noreferrer noopener"
                  target="_blank"
                >
                  KB{d.kbArticleId}
                </a>
              ) : (
                '—'
              )}
            </dd>
            <dt>Severity</dt>
            <dd>{fmt(d.msrcSeverity)}</dd>
            <dt>Classification / product</dt>
            <dd>
              {d.classifications.map((c) => c.title).join(', ') || '—'} /{' '}
              {d.products.map((p) => p.title).join(', ') || '—'}
            </dd>
            <dt>What clients get</dt>
            <dd>
              {d.isDeclined
                ? 'declined: hidden from every client'
                : d.catalogState === 'served'
                  ? `served (revision ${d.servedRevisionNumber ?? d.revisionNumber})`
                  : d.catalogState === 'quarantined'
                    ? `quarantined: not offered (${d.quarantine?.reasonCode ?? ''} ${d.quarantine?.detail ?? ''})`
                    : 'pending: not in the catalog generation clients are served yet'}
            </dd>
            <dt>Files</dt>
            <dd>
              {d.content === null
                ? 'not tracked (content mode, or not approved)'
                : `${d.content.state}${d.content.reason ? `: ${d.content.reason}` : ''}`}
            </dd>
            <dt>Computers</dt>
            <dd data-testid="status-counts">
              {Object.entries(d.statusCounts)
                .map(([k, v]) => `${k}: ${v}`)
                .join(', ') || 'no computer reported this update'}
            </dd>
          </dl>
          <h2>Superseded by</h2>
          <Table
            caption="Superseding updates"
            name="superseded-by"
            rows={d.supersededBy}
            rowKey={(s) => s.updateId}
            empty="Not superseded."
            columns={[
              {
                label: 'Update',
                value: (s) => s.title ?? s.updateId,
                render: (s) => <Link to={`/updates/${s.updateId}`}>{s.title ?? s.updateId}</Link>,
              },
              { label: 'KB', value: (s) => s.kbArticleId },
              { label: 'Approved', value: (s) => s.approved },
              { label: 'Declined', value: (s) => s.declined },
            ]}
          />
          <h2>Approvals per group</h2>
          <Table
            caption="Approvals per group"
            name="approvals"
            rows={d.approvals}
            rowKey={(a) => a.groupName}
            empty="No group has an explicit approval (groups may inherit none)."
            columns={[
              { label: 'Group', value: (a) => a.groupName },
              { label: 'Action', value: (a) => a.action },
              { label: 'Deadline', value: (a) => (a.deadlineAt === null ? 'none' : when(a.deadlineAt)) },
              { label: 'By', value: (a) => a.approvedBy },
              { label: 'When', value: (a) => when(a.approvedAt) },
            ]}
          />
        </>
      )}
    </section>
  );
}
