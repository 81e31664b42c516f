/**
 * Verbatim mode (docs/protocol/captures.md §4.2 (b)): answers with the REAL captured bodies of wsus-m0-wsusss/exchanges, chosen
 * by operation plus a predicate on the request:
 * GetAuthConfig 000001; DSS GetAuthorizationCookie 000002; GetCookie 000003; GetConfigData with configAnchor
 * 000004, without 000005; GetRevisionIdList without cookie 000019 (InvalidCookie), GetConfig=true 000006,
 * product only 000007, product + Security Updates 000008, product + Definition Updates without anchor 000009,
 * with anchor and Delta=false 000010, with anchor and Delta=true 000008's body (the capture's own Delta=true
 * answer, 000011, was not copied into our fixtures; it was equally empty); GetUpdateData for a2fef9b0 r200
 * 000013 (LZX bundle), ccb78947 r200 000015 (plain), 56309036 r101 000016 (LZX category), anything else
 * 000017 (InternalServerError, as WS2025 answers an unknown id). Captured bodies are served unchanged.
 */
import { readFixture } from '../fixtures.js';
import {
  startFakeSoapServer,
  type FakeSoapServer,
  type RecordedRequest,
  type SoapAnswer,
} from './soap-server.js';

const ns = 'http://www.microsoft.com/SoftwareDistribution';

function answer(n: string): SoapAnswer {
  const meta = JSON.parse(
    readFixture('wsus', 'wsus-m0-wsusss', 'exchanges', n, 'meta.json').toString('utf8'),
  ) as { status: number };
  return {
    status: meta.status,
    body: readFixture('wsus', 'wsus-m0-wsusss', 'exchanges', n, 'response.body').toString('utf8'),
  };
}

export const capturedRequest = (n: string): string =>
  readFixture('wsus', 'wsus-m0-wsusss', 'exchanges', n, 'request.body').toString('utf8');

function child(el: RecordedRequest['payload'], local: string) {
  for (const c of el.children) if (c.kind === 'element' && c.uri === ns && c.local === local) return c;
  return undefined;
}

export function chooseVerbatim(req: RecordedRequest): string {
  const b = req.body;
  switch (req.op) {
    case 'GetAuthConfig':
      return '000001';
    case 'GetAuthorizationCookie':
      return '000002';
    case 'GetCookie':
      return '000003';
    case 'GetConfigData':
      return child(req.payload, 'configAnchor') ? '000004' : '000005';
    case 'GetRevisionIdList': {
      if (!child(req.payload, 'cookie')) return '000019';
      if (/<GetConfig>true<\/GetConfig>/.test(b)) return '000006';
      if (!/<Classifications>/.test(b)) return '000007';
      if (/0fa1201d-4330-4fa8-8ae9-b877473b6441/.test(b)) return '000008';
      if (!/<Anchor>/.test(b)) return '000009';
      return /<Delta>true<\/Delta>/.test(b) ? '000008' : '000010';
    }
    case 'GetUpdateData': {
      const single =
        /<updateIds><UpdateIdentity><UpdateID>([^<]+)<\/UpdateID><RevisionNumber>(\d+)<\/RevisionNumber><\/UpdateIdentity><\/updateIds>/.exec(
          b,
        );
      const id = single ? `${single[1]}/${single[2]}` : '';
      if (id === 'a2fef9b0-7951-4c2c-a42b-9e351dd1c1fe/200') return '000013';
      if (id === 'ccb78947-6453-4ecc-9de8-bc0305c98f2d/200') return '000015';
      if (id === '56309036-4c77-4dd9-951a-99ee9c246a94/101') return '000016';
      return '000017';
    }
    default:
      return '000017';
  }
}

export interface VerbatimUpstream extends FakeSoapServer {
  /** Which exchange answered each request. */
  readonly served: string[];
}

export async function startVerbatimUpstream(): Promise<VerbatimUpstream> {
  const served: string[] = [];
  const s = await startFakeSoapServer((req) => {
    const n = chooseVerbatim(req);
    served.push(n);
    return answer(n);
  });
  return Object.assign(s, { served });
}
