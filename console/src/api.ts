/**
 * The console's only door to the server: the REST API under /api/v1 with the session cookie (sent by the
 * browser, never readable here) and, on every change, the session's CSRF token. Errors are the API's
 * problem+json, kept whole so the page can show the title and what to do.
 */

export interface Problem {
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly context?: Record<string, unknown>;
}

export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(`${problem.title}: ${problem.detail}`);
  }
}

export interface Session {
  readonly name: string;
  readonly roles: readonly string[];
  readonly csrfToken: string;
  readonly expiresAt: number;
}

let csrfToken: string | undefined;
let onExpired: (() => void) | undefined;

/** Remembers the CSRF token of the signed-in session (memory only) and who to tell when it ends. */
export function useSession(session: Session | undefined, expired: () => void): void {
  csrfToken = session?.csrfToken;
  onExpired = expired;
}

/** What a status without a problem body means, so the page never shows a bare number. */
function fallbackProblem(status: number, text: string): Problem {
  return {
    title: status === 0 ? 'The server did not answer' : `HTTP ${status}`,
    status,
    detail: text.slice(0, 300) || 'No details were sent. Check that Patchbay is running, then retry.',
    code: 'PB_ERR_HTTP',
  };
}

export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken !== undefined) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch {
    throw new ProblemError(fallbackProblem(0, ''));
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  if (!res.ok) {
    let problem: Problem;
    try {
      problem = JSON.parse(text) as Problem;
      if (typeof problem.title !== 'string') problem = fallbackProblem(res.status, text);
    } catch {
      problem = fallbackProblem(res.status, text);
    }
    // The session ended (expired, revoked, signed out elsewhere): back to the sign-in page, saying why.
    if (res.status === 401 && path !== '/session') onExpired?.();
    throw new ProblemError(problem);
  }
  return JSON.parse(text) as T;
}

/** Builds `?a=1&b=x` from the defined, non-empty values (arrays repeat the key). */
export function query(
  params: Record<string, string | number | boolean | readonly string[] | undefined>,
): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === '') continue;
    if (Array.isArray(v)) for (const x of v as readonly string[]) q.append(k, x);
    else q.set(k, String(v));
  }
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}

export interface Job {
  readonly id: string;
  readonly kind: string;
  readonly state: 'queued' | 'running' | 'succeeded' | 'failed';
  readonly progress: { done: number; total: number | null; phase: string | null } | null;
  readonly result?: unknown;
  readonly error?: { code?: string; message?: string; title?: string } | null;
}

/** Follows a job over Server-Sent Events (the cookie goes with it) until it is done. */
export function followJob(id: string, onUpdate: (job: Job) => void): () => void {
  const source = new EventSource(`/api/v1/jobs/${encodeURIComponent(id)}/events`);
  const handle = (e: MessageEvent<string>) => onUpdate(JSON.parse(e.data) as Job);
  source.addEventListener('progress', handle);
  source.addEventListener('done', (e) => {
    handle(e as MessageEvent<string>);
    source.close();
  });
  return () => source.close();
}
