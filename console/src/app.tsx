/** The console shell: sign-in, the navigation, the page of the current path, sign-out. */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, useSession, type Problem, type Session } from './api';
import { CanContext, canFor } from './roles';
import { navigate, usePath } from './router';
import { Field, Link, ProblemBox, problemOf } from './ui';
import { Dashboard } from './pages/dashboard';
import { UpdateDetail, Updates } from './pages/updates';
import { ComputerDetail, Computers, Groups } from './pages/fleet';
import { Catalog, Content, Settings, Sync } from './pages/server';
import { Audit, Downstreams, Rings, Rules, Tokens } from './pages/lists';

const pages: readonly { path: string; label: string }[] = [
  { path: '/', label: 'Dashboard' },
  { path: '/updates', label: 'Updates' },
  { path: '/computers', label: 'Computers' },
  { path: '/groups', label: 'Groups' },
  { path: '/sync', label: 'Synchronization' },
  { path: '/catalog', label: 'Catalog' },
  { path: '/rules', label: 'Rules' },
  { path: '/rings', label: 'Rings and rollouts' },
  { path: '/content', label: 'Content' },
  { path: '/downstreams', label: 'Downstream servers' },
  { path: '/tokens', label: 'Tokens' },
  { path: '/audit', label: 'Audit log' },
  { path: '/settings', label: 'Settings' },
];

function SignIn({ onSignedIn, notice }: { onSignedIn: (s: Session) => void; notice: string | undefined }) {
  const [token, setToken] = useState('');
  const [problem, setProblem] = useState<Problem>();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    api<Session>('POST', '/session', { token }).then(onSignedIn, (err: unknown) =>
      setProblem(problemOf(err)),
    );
  };
  return (
    <main className="signin">
      <h1>Patchbay console</h1>
      {notice && <p role="status">{notice}</p>}
      <form onSubmit={submit}>
        <Field label="API token">
          <input
            type="password"
            autoComplete="current-password"
            value={token}
            onChange={(e) => setToken(e.target.value)}
            required
          />
        </Field>
        <button type="submit">Sign in</button>
      </form>
      <p className="hint">
        Create a token with <code>patchbay tokens create NAME --role admin</code>. The console keeps a session
        cookie, never the token.
      </p>
      <ProblemBox problem={problem} />
    </main>
  );
}

function Page({ path }: { path: string }) {
  const [, first, id] = path.split('/').map(decodeURIComponent);
  if (first === 'updates' && id) return <UpdateDetail id={id} />;
  if (first === 'computers' && id) return <ComputerDetail id={id} />;
  switch (first) {
    case '':
      return <Dashboard />;
    case 'updates':
      return <Updates />;
    case 'computers':
      return <Computers />;
    case 'groups':
      return <Groups />;
    case 'sync':
      return <Sync />;
    case 'catalog':
      return <Catalog />;
    case 'rules':
      return <Rules />;
    case 'rings':
      return <Rings />;
    case 'content':
      return <Content />;
    case 'downstreams':
      return <Downstreams />;
    case 'tokens':
      return <Tokens />;
    case 'audit':
      return <Audit />;
    case 'settings':
      return <Settings />;
    default:
      return (
        <section>
          <h1>Not found</h1>
          <p>
            The console has no page {path}. <Link to="/">Go to the dashboard</Link>.
          </p>
        </section>
      );
  }
}

export function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [notice, setNotice] = useState<string>();
  const { path } = usePath();
  const expired = useCallback(() => {
    setSession(null);
    setNotice('Your session ended (expired or signed out). Sign in again.');
  }, []);
  useSession(session ?? undefined, expired);
  useEffect(() => {
    api<Session>('GET', '/session').then(setSession, () => setSession(null));
  }, []);
  if (session === undefined) return <p role="status">Loading…</p>;
  if (session === null)
    return (
      <SignIn
        notice={notice}
        onSignedIn={(s) => {
          setNotice(undefined);
          setSession(s);
        }}
      />
    );
  const signOut = () => {
    void api('DELETE', '/session').finally(() => {
      setSession(null);
      setNotice('Signed out.');
      navigate('/');
    });
  };
  const current = '/' + (path.split('/')[1] ?? '');
  return (
    <CanContext.Provider value={canFor(session.roles)}>
      <a href="#main" className="skip">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Patchbay</span>
        <span>
          Signed in as <strong>{session.name}</strong> ({session.roles.join(', ')})
        </span>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <div className="layout">
        <nav aria-label="Console pages">
          <ul>
            {pages.map((p) => (
              <li key={p.path}>
                <Link to={p.path} className={p.path === current ? 'current' : undefined}>
                  {p.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" tabIndex={-1}>
          <Page path={path} />
        </main>
      </div>
    </CanContext.Provider>
  );
}
