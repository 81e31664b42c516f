/** Rules, rings and rollouts (with the gate figures), downstream servers, tokens and the audit log. */
import { useState, type FormEvent } from 'react';
import { api, query, type Problem } from '../api';
import { useCan } from '../roles';
import { Field, ListOf, ProblemBox, Table, fmt, problemOf, useGet, when } from '../ui';

export function Rules() {
  return (
    <section>
      <h1>Automatic approval rules</h1>
      <p>Rules approve matching updates for their groups at each synchronization.</p>
      <ListOf caption="Rules" name="rules" path="/rules?limit=500" rowKey={(r) => String(r['ruleId'])} />
      <h2>Switches</h2>
      <ListOf
        caption="Rule switches"
        name="rule-switches"
        path="/settings"
        itemsKey="changeable"
        rowKey={(r) => JSON.stringify(r)}
      />
    </section>
  );
}

interface Rollout {
  rolloutId: number;
  updateId: string;
  title: string | null;
  state: string;
  ring: string;
  position: number;
  stages: number;
  since: number;
  gate: Record<string, unknown> | null;
  nextPromotionAt: number | null;
  holdReason: string | null;
}

function gateText(g: Record<string, unknown> | null): string {
  if (g === null) return 'no gate';
  return Object.entries(g)
    .filter(([, v]) => v === null || typeof v !== 'object')
    .map(([k, v]) => `${k}: ${fmt(v)}`)
    .join(', ');
}

export function Rings() {
  const can = useCan();
  const rollouts = useGet<{ items: Rollout[] }>('/rollouts' + query({ all: true }));
  const [problem, setProblem] = useState<Problem>();
  const act = (id: number, what: 'resume' | 'skip' | 'stop') =>
    api('POST', `/rollouts/${id}/${what}`, {}).then(rollouts.reload, (e: unknown) =>
      setProblem(problemOf(e)),
    );
  return (
    <section>
      <h1>Rings and rollouts</h1>
      <ListOf caption="Rings" name="rings" path="/rings" rowKey={(r) => String(r['ringId'] ?? r['name'])} />
      <h2>Ringed approvals</h2>
      <ProblemBox problem={rollouts.problem} />
      <ProblemBox problem={problem} />
      <Table
        caption="Rollouts with their gate now"
        name="rollouts"
        rows={rollouts.data?.items}
        rowKey={(r) => String(r.rolloutId)}
        empty="No ringed approval."
        columns={[
          { label: 'Update', value: (r) => r.title ?? r.updateId },
          { label: 'State', value: (r) => r.state },
          { label: 'Ring', value: (r) => `${r.ring} (${r.position + 1} of ${r.stages})` },
          { label: 'Since', value: (r) => when(r.since) },
          { label: 'Gate', value: (r) => gateText(r.gate) },
          {
            label: 'Next promotion',
            value: (r) => (r.nextPromotionAt ? when(r.nextPromotionAt) : (r.holdReason ?? '—')),
          },
          {
            label: 'Actions',
            value: () => '',
            render: (r) =>
              can.approve && (r.state === 'running' || r.state === 'paused') ? (
                <span className="buttons">
                  {r.state === 'paused' && (
                    <button type="button" onClick={() => void act(r.rolloutId, 'resume')}>
                      Resume
                    </button>
                  )}
                  <button type="button" onClick={() => void act(r.rolloutId, 'skip')}>
                    Promote now
                  </button>
                  <button type="button" onClick={() => void act(r.rolloutId, 'stop')}>
                    Stop
                  </button>
                </span>
              ) : null,
          },
        ]}
      />
      <h2>Ringed catalog change</h2>
      <ListOf
        caption="Catalog rollout"
        name="catalog-rollout"
        path="/catalog/rollout"
        itemsKey="rings"
        rowKey={(r) => JSON.stringify(r)}
      />
    </section>
  );
}

export function Downstreams() {
  return (
    <section>
      <h1>Downstream servers</h1>
      <p>Servers (WSUS or Patchbay) that synchronize from this one.</p>
      <ListOf
        caption="Downstream servers"
        name="downstreams"
        path="/downstreams"
        rowKey={(r) => String(r['downstreamId'] ?? r['id'] ?? r['name'])}
      />
    </section>
  );
}

export function Tokens() {
  const can = useCan();
  const [name, setName] = useState('');
  const [role, setRole] = useState('reporter');
  const [secret, setSecret] = useState<string>();
  const [problem, setProblem] = useState<Problem>();
  const [tick, setTick] = useState(0);
  const create = (e: FormEvent) => {
    e.preventDefault();
    setProblem(undefined);
    api<{ token?: string; secret?: string }>('POST', '/tokens', { name, role }).then(
      (r) => {
        setSecret(r.token ?? r.secret);
        setTick((n) => n + 1);
      },
      (err: unknown) => setProblem(problemOf(err)),
    );
  };
  if (!can.tokens)
    return (
      <section>
        <h1>Tokens</h1>
        <p>Only an administrator manages API tokens.</p>
      </section>
    );
  return (
    <section>
      <h1>Tokens</h1>
      <ListOf
        caption="API tokens (never the secrets)"
        name="tokens"
        path={`/tokens?v=${tick}`}
        rowKey={(r) => String(r['tokenId'] ?? r['id'] ?? r['name'])}
      />
      <form onSubmit={create} aria-label="Create a token">
        <h2>Create a token</h2>
        <Field label="Name">
          <input value={name} onChange={(e) => setName(e.target.value)} required />
        </Field>
        <Field label="Role">
          <select value={role} onChange={(e) => setRole(e.target.value)}>
            {['admin', 'approver', 'reporter', 'connector', 'monitor'].map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </Field>
        <button type="submit">Create token</button>
      </form>
      {secret && (
        <p role="status">
          The new token (shown once, copy it now): <code>{secret}</code>
        </p>
      )}
      <ProblemBox problem={problem} />
    </section>
  );
}

export function Audit() {
  const [actor, setActor] = useState('');
  const [action, setAction] = useState('');
  const [applied, setApplied] = useState({ actor: '', action: '' });
  return (
    <section>
      <h1>Audit log</h1>
      <form
        className="filters"
        aria-label="Audit filters"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied({ actor, action });
        }}
      >
        <Field label="Actor">
          <input value={actor} onChange={(e) => setActor(e.target.value)} />
        </Field>
        <Field label="Action">
          <input value={action} onChange={(e) => setAction(e.target.value)} placeholder="approval.set" />
        </Field>
        <button type="submit">Apply filters</button>
      </form>
      <ListOf
        caption="Audit log, newest first"
        name="audit"
        path={'/audit' + query({ ...applied, limit: 200 })}
        rowKey={(r) => JSON.stringify(r)}
      />
    </section>
  );
}
