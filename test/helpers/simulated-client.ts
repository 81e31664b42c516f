/**
 * A simulated Windows Update Agent for SyncUpdates loops (docs/protocol/client.md §1.5, §1.6): it keeps a cache of revision
 * ids, sends non-leaf revisions it evaluates as installed in `installedNonLeafRevisionIds` and everything else
 * in `otherCachedRevisionIds`, and calls again while the answer is truncated or carried a non-leaf update.
 * It checks the server's answers as it goes and throws an AssertionError on any violation:
 * - a revision is never sent twice (nothing in I ∪ O resent, no duplicate in a page),
 * - every prerequisite clause of a new revision has an alternative whose revision the client holds as
 *   installed non-leaf (ids in O do not count),
 * - Truncated is never true with an empty page,
 * - the scan ends within `maxCalls` (WUA gives up near 200 round trips, 0x80244010).
 * `call` is the server: the pure `syncUpdates` in unit tests, an HTTP round trip in end-to-end tests. `facts`
 * is what the client learns from a revision's Core fragment.
 */
import assert from 'node:assert/strict';
import type { DeliveredRevision, DeliveryRequest, DeliveryResult } from '../../src/catalog/index.js';
import type { RevisionKind } from '../../src/domain/index.js';

export interface SimulatedRevisionFacts {
  readonly updateId: string;
  readonly kind: RevisionKind;
  readonly prerequisites: readonly { readonly anyOf: readonly string[] }[];
}

export interface SimulatedClientOptions {
  readonly call: (request: DeliveryRequest) => DeliveryResult | Promise<DeliveryResult>;
  readonly facts: (revisionId: number) => SimulatedRevisionFacts | undefined;
  /** Whether the client evaluates a non-leaf revision as installed. Default: categories and detectoids. */
  readonly isInstalled?: ((facts: SimulatedRevisionFacts) => boolean) | undefined;
  readonly maxCalls?: number | undefined;
  readonly pageSize?: number | undefined;
  readonly filterCategoryIds?: readonly string[] | undefined;
}

export interface CachedRevision {
  readonly facts: SimulatedRevisionFacts;
  isLeaf: boolean;
  deployment: DeliveredRevision['deployment'];
  installed: boolean;
}

export interface ScanReport {
  calls: number;
  /** NewUpdates in arrival order. */
  readonly delivered: DeliveredRevision[];
  readonly pageSizes: number[];
  readonly outOfScope: number[];
  readonly changed: DeliveredRevision[];
  readonly requests: DeliveryRequest[];
}

export class SimulatedClient {
  readonly cache = new Map<number, CachedRevision>();
  anchor = 0;
  constructor(private readonly opts: SimulatedClientOptions) {}

  private isInstalled(f: SimulatedRevisionFacts): boolean {
    return this.opts.isInstalled ? this.opts.isInstalled(f) : f.kind === 'category' || f.kind === 'detectoid';
  }

  /** The request the client would send now. */
  request(): DeliveryRequest {
    const installed: number[] = [];
    const other: number[] = [];
    for (const [id, c] of this.cache) (c.installed ? installed : other).push(id);
    return {
      // The first native call omits the arrays entirely (docs/protocol/client.md §1.2).
      installedNonLeafRevisionIds: this.cache.size === 0 ? undefined : installed,
      otherCachedRevisionIds: this.cache.size === 0 ? undefined : other,
      skipSoftwareSync: false,
      filterCategoryIds: this.opts.filterCategoryIds,
      anchor: this.anchor,
      pageSize: this.opts.pageSize,
    };
  }

  /** One software scan: SyncUpdates until neither truncated nor carrying a non-leaf update. */
  async scan(): Promise<ScanReport> {
    const maxCalls = this.opts.maxCalls ?? 200;
    const report: ScanReport = {
      calls: 0,
      delivered: [],
      pageSizes: [],
      outOfScope: [],
      changed: [],
      requests: [],
    };
    for (;;) {
      assert.ok(report.calls < maxCalls, `scan exceeded ${maxCalls} SyncUpdates calls`);
      const request = this.request();
      report.requests.push(request);
      const result = await this.opts.call(request);
      report.calls++;
      this.apply(result, report);
      const again = result.truncated || result.newUpdates.some((u) => !u.isLeaf);
      if (!again) return report;
    }
  }

  private apply(result: DeliveryResult, report: ScanReport): void {
    assert.ok(!(result.truncated && result.newUpdates.length === 0), 'Truncated=true with an empty page');
    for (const id of result.outOfScopeRevisionIds) {
      this.cache.delete(id);
      report.outOfScope.push(id);
    }
    for (const ch of result.changedUpdates) {
      const c = this.cache.get(ch.revisionId);
      assert.ok(c, `ChangedUpdates names ${ch.revisionId}, which the client does not cache`);
      c.deployment = ch.deployment;
      c.isLeaf = ch.isLeaf;
      report.changed.push(ch);
    }
    // Prerequisites are judged on the cache as it was when the request was sent.
    const installedUpdates = new Set<string>();
    for (const c of this.cache.values()) if (c.installed) installedUpdates.add(c.facts.updateId);
    const inPage = new Set<number>();
    for (const u of result.newUpdates) {
      assert.ok(!this.cache.has(u.revisionId), `revision ${u.revisionId} was sent again`);
      assert.ok(!inPage.has(u.revisionId), `revision ${u.revisionId} twice in one page`);
      inPage.add(u.revisionId);
      const facts = this.opts.facts(u.revisionId);
      assert.ok(facts, `server sent revision ${u.revisionId} the test catalog does not know`);
      for (const clause of facts.prerequisites)
        assert.ok(
          clause.anyOf.some((id) => installedUpdates.has(id.toLowerCase())),
          `revision ${u.revisionId} (${facts.updateId}) offered before its prerequisite [${clause.anyOf.join('|')}] was installed`,
        );
      this.cache.set(u.revisionId, {
        facts,
        isLeaf: u.isLeaf,
        deployment: u.deployment,
        installed: !u.isLeaf && this.isInstalled(facts),
      });
      report.delivered.push(u);
    }
    report.pageSizes.push(result.newUpdates.length);
    this.anchor = result.anchor;
  }
}

/** What a client learns from a Core fragment: the update id, its kind and its prerequisite clauses. */
export function coreFacts(xml: string): SimulatedRevisionFacts {
  const updateId = /UpdateIdentity UpdateID="([^"]+)"/.exec(xml)![1]!.toLowerCase();
  const type = /UpdateType="([^"]+)"/.exec(xml)?.[1] ?? 'Software';
  const kind: RevisionKind =
    type === 'Category' ? 'category' : type === 'Detectoid' ? 'detectoid' : 'software';
  const pre = /<Prerequisites>(.*?)<\/Prerequisites>/s.exec(xml)?.[1] ?? '';
  const prerequisites: { anyOf: string[] }[] = [];
  const re = /<AtLeastOne[^>]*>(.*?)<\/AtLeastOne>|<UpdateIdentity UpdateID="([^"]+)"[^>]*\/>/gs;
  for (let m = re.exec(pre); m !== null; m = re.exec(pre))
    prerequisites.push({
      anyOf:
        m[2] !== undefined
          ? [m[2].toLowerCase()]
          : [...m[1]!.matchAll(/UpdateID="([^"]+)"/g)].map((x) => x[1]!.toLowerCase()),
    });
  return { updateId, kind, prerequisites };
}
