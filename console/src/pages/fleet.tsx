/** Computers and groups: the group tree with membership counts, computers (search, stale), one computer. */
import { useState, type FormEvent } from 'react';
import { api, query, type Problem } from '../api';
import { useCan } from '../roles';
import { Field, Link, ProblemBox, Table, fmt, problemOf, useGet, when } from '../ui';

interface Group {
  groupId: string;
  name: string;
  parentGroupId: string | null;
  isBuiltin: boolean;
  path: string;
  memberCount: number;
}
interface Computer {
  computerId: string;
  name: string | null;
  ipAddress: string | null;
  os: string | null;
  osVersion: string | null;
  clientVersion: string | null;
  lastSyncAt: number | null;
  lastReportAt: number | null;
  groups: { name?: string; groupId?: string }[];
}

function Tree({ groups, parent }: { groups: readonly Group[]; parent: string | null }) {
  const children = groups.filter((g) => g.parentGroupId === parent);
  if (children.length === 0) return null;
  return (
    <ul className="tree">
      {children.map((g) => (
        <li key={g.groupId}>
          <Link to={`/computers?group=${encodeURIComponent(g.name)}`}>{g.name}</Link> ({g.memberCount}{' '}
          computer
          {g.memberCount === 1 ? '' : 's'})
          <Tree groups={groups} parent={g.groupId} />
        </li>
      ))}
    </ul>
  );
}

export function Groups() {
  const can = useCan();
  const groups = useGet<{ items: Group[] }>('/groups?limit=500');
  const mode = useGet<{ mode?: string; targetingMode?: string }>('/targeting-mode');
  const [name, setName] = useState('');
  const [parent, setParent] = useState('');
  const [problem, setProblem] = useState<Problem>();
  const items = groups.data?.items ?? [];
  const create = (e: FormEvent) => {
    e.preventDefault();
    setProblem(undefined);
    api('POST', '/groups', { name, ...(parent ? { parent } : {}) }).then(
      () => {
        setName('');
        groups.reload();
      },
      (err: unknown) => setProblem(problemOf(err)),
    );
  };
  const roots = new Set(items.map((g) => g.groupId));
  const top = items.filter((g) => g.parentGroupId === null || !roots.has(g.parentGroupId));
  return (
    <section>
      <h1>Groups</h1>
      <p>
        Targeting: <strong>{fmt(mode.data?.mode ?? mode.data?.targetingMode)}</strong> (server-side: groups
        are set here; client-side: computers name their group by policy).
      </p>
      <ProblemBox problem={groups.problem} />
      <ul className="tree">
        {top.map((g) => (
          <li key={g.groupId}>
            <Link to={`/computers?group=${encodeURIComponent(g.name)}`}>{g.name}</Link> ({g.memberCount})
            <Tree groups={items} parent={g.groupId} />
          </li>
        ))}
      </ul>
      <Table
        caption="Groups"
        name="groups"
        rows={items}
        rowKey={(g) => g.groupId}
        columns={[
          { label: 'Path', value: (g) => g.path },
          { label: 'Computers', value: (g) => g.memberCount },
          { label: 'Built in', value: (g) => g.isBuiltin },
        ]}
      />
      {can.fleet && (
        <form onSubmit={create} aria-label="Create a group">
          <h2>Create a group</h2>
          <Field label="Name">
            <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={256} />
          </Field>
          <Field label="Parent group">
            <select value={parent} onChange={(e) => setParent(e.target.value)}>
              <option value="">All Computers</option>
              {items.map((g) => (
                <option key={g.groupId} value={g.name}>
                  {g.path}
                </option>
              ))}
            </select>
          </Field>
          <button type="submit">Create group</button>
          <ProblemBox problem={problem} />
        </form>
      )}
    </section>
  );
}

export function Computers() {
  const params = new URLSearchParams(window.location.search);
  const [text, setText] = useState('');
  const [applied, setApplied] = useState({ text: '', group: params.get('group') ?? '', silentDays: '' });
  const [silent, setSilent] = useState('');
  const list = useGet<{ items: Computer[]; nextCursor?: string }>(
    '/computers' + query({ ...applied, limit: 200 }),
  );
  return (
    <section>
      <h1>Computers</h1>
      <form
        className="filters"
        aria-label="Computer filters"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied((a) => ({ ...a, text, silentDays: silent }));
        }}
      >
        <Field label="Search (name, id, address)">
          <input type="search" value={text} onChange={(e) => setText(e.target.value)} />
        </Field>
        <Field label="Not reporting for at least (days)">
          <input type="number" min={0} value={silent} onChange={(e) => setSilent(e.target.value)} />
        </Field>
        <button type="submit">Apply filters</button>
        {applied.group && (
          <button type="button" onClick={() => setApplied((a) => ({ ...a, group: '' }))}>
            Show every group (now: {applied.group})
          </button>
        )}
      </form>
      <ProblemBox problem={list.problem} />
      <Table
        caption={applied.group ? `Computers in ${applied.group}` : 'Computers'}
        name="computers"
        rows={list.data?.items}
        rowKey={(c) => c.computerId}
        empty="No computer matches (computers appear after their first scan)."
        columns={[
          {
            label: 'Name',
            value: (c) => c.name ?? c.computerId,
            render: (c) => <Link to={`/computers/${c.computerId}`}>{c.name ?? c.computerId}</Link>,
          },
          { label: 'Address', value: (c) => c.ipAddress },
          { label: 'OS', value: (c) => [c.os, c.osVersion].filter(Boolean).join(' ') },
          { label: 'Groups', value: (c) => c.groups.map((g) => g.name ?? g.groupId).join(', ') },
          { label: 'Last scan', value: (c) => when(c.lastSyncAt) },
          { label: 'Last report', value: (c) => when(c.lastReportAt) },
        ]}
      />
      {list.data?.nextCursor && <p>Showing the first 200: narrow the search to see others.</p>}
    </section>
  );
}

interface ComputerDetailData extends Computer {
  make: string | null;
  model: string | null;
  inventory: unknown;
  effectiveApprovals: {
    updateId: string;
    title?: string | null;
    action: string;
    deadlineAt?: number | null;
    groupName?: string;
  }[];
}

export function ComputerDetail({ id }: { id: string }) {
  const can = useCan();
  const c = useGet<ComputerDetailData>(`/computers/${encodeURIComponent(id)}`);
  const states = useGet<{ rows: Record<string, string | number | null>[] }>(
    `/reports/computers${query({ format: 'json' })}`,
  );
  const groups = useGet<{ items: Group[] }>(can.fleet ? '/groups?limit=500' : undefined);
  const [moveTo, setMoveTo] = useState<string[]>([]);
  const [problem, setProblem] = useState<Problem>();
  const [done, setDone] = useState<string>();
  const d = c.data;
  const mine = states.data?.rows.find((r) => r['computerId'] === id);
  return (
    <section>
      <p>
        <Link to="/computers">Back to computers</Link>
      </p>
      <ProblemBox problem={c.problem} />
      {d && (
        <>
          <h1>{d.name ?? d.computerId}</h1>
          <dl className="facts">
            <dt>Computer id</dt>
            <dd>
              <code>{d.computerId}</code>
            </dd>
            <dt>Operating system</dt>
            <dd>{[d.os, d.osVersion].filter(Boolean).join(' ') || '—'}</dd>
            <dt>Hardware</dt>
            <dd>{[d.make, d.model].filter(Boolean).join(' ') || '—'}</dd>
            <dt>Windows Update agent</dt>
            <dd>{fmt(d.clientVersion)}</dd>
            <dt>Groups</dt>
            <dd>{d.groups.map((g) => g.name ?? g.groupId).join(', ') || 'Unassigned'}</dd>
            <dt>Last scan / report</dt>
            <dd>
              {when(d.lastSyncAt)} / {when(d.lastReportAt)}
            </dd>
            <dt>Update states</dt>
            <dd data-testid="computer-states">
              {mine
                ? `installed ${fmt(mine['installed'])}, needed ${fmt(mine['needed'])}, failed ${fmt(mine['failed'])}`
                : 'no report yet'}
            </dd>
          </dl>
          {can.fleet && (
            <form
              aria-label="Move this computer"
              onSubmit={(e) => {
                e.preventDefault();
                setProblem(undefined);
                api('POST', `/computers/${encodeURIComponent(d.computerId)}/move`, { groups: moveTo }).then(
                  () => {
                    setDone(`Moved to ${moveTo.join(', ')}: its next scan gets these groups' approvals.`);
                    c.reload();
                  },
                  (err: unknown) => setProblem(problemOf(err)),
                );
              }}
            >
              <h2>Move</h2>
              <Field label="Groups (server-side targeting)">
                <select
                  multiple
                  value={moveTo}
                  onChange={(e) => setMoveTo([...e.target.selectedOptions].map((o) => o.value))}
                >
                  {(groups.data?.items ?? []).map((g) => (
                    <option key={g.groupId} value={g.name}>
                      {g.path}
                    </option>
                  ))}
                </select>
              </Field>
              <button type="submit" disabled={moveTo.length === 0}>
                Move computer
              </button>
              {done && <p role="status">{done}</p>}
              <ProblemBox problem={problem} />
            </form>
          )}
          <h2>Effective approvals</h2>
          <Table
            caption="Effective approvals (inheritance applied)"
            name="effective-approvals"
            rows={d.effectiveApprovals}
            rowKey={(a) => a.updateId}
            empty="No update is approved for this computer's groups."
            columns={[
              {
                label: 'Update',
                value: (a) => a.title ?? a.updateId,
                render: (a) => <Link to={`/updates/${a.updateId}`}>{a.title ?? a.updateId}</Link>,
              },
              { label: 'Action', value: (a) => a.action },
              { label: 'Deadline', value: (a) => (a.deadlineAt ? when(a.deadlineAt) : 'none') },
            ]}
          />
          <h2>Inventory</h2>
          <pre className="inventory" tabIndex={0}>
            {d.inventory ? JSON.stringify(d.inventory, null, 2) : 'No inventory reported.'}
          </pre>
        </>
      )}
    </section>
  );
}
