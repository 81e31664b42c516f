import {
  buildCatalogIndex,
  buildCatalogIndexFromColumns,
  CatalogInputBuilder,
  compileScope,
  type CatalogIndex,
  type CatalogRevisionInput,
  type ClientScope,
  type ScopeDeploymentInput,
  type ScopeMode,
} from '../catalog/index.js';
import { resolveEffectiveApproval, ringIndexOf, type GroupApproval, type GroupId } from '../domain/index.js';
import type { Logger } from '../observability/index.js';

/**
 * What clients are served now: the active generation, and while a ringed catalog change is in progress the
 * rollout's generation for rings 0..ringIndex (docs/rings.md "Ringed catalog changes").
 */
export interface ServingState {
  readonly activeId: number | undefined;
  readonly rollout?: { readonly generationId: number; readonly ringIndex: number };
  /** The rings' groups, in ring order (empty: no rings, everyone gets the active generation). */
  readonly rings: readonly { readonly groupIds: readonly string[] }[];
}

/** Catalog generations as storage holds them. */
export interface CatalogSource {
  servingState(): Promise<ServingState>;
  /**
   * Hands every member revision of a generation in catalog terms to `add`, a chunk at a time (a large
   * generation never sits in memory as objects); false when the generation is gone.
   */
  loadGeneration(
    generationId: number,
    add: (chunk: readonly CatalogRevisionInput[]) => void,
  ): Promise<boolean>;
}

export interface ApprovalRow {
  readonly updateId: string;
  readonly groupId: string;
  readonly action: 'install' | 'uninstall' | 'not_approved';
  readonly deadlineAt: number | null;
}

export interface DeploymentChangeRow {
  readonly changeSeq: number;
  readonly changedAt: number;
  readonly updateId: string;
  readonly groupId: string | null;
}

/** Approvals, declines, the group tree and the deployment change log. */
export interface DeploymentSource {
  latestChangeSeq(): Promise<number>;
  groupTree(): Promise<readonly { groupId: string; parentGroupId: string | null }[]>;
  approvalsForGroups(groupIds: readonly string[]): Promise<readonly ApprovalRow[]>;
  declinedUpdateIds(): Promise<readonly string[]>;
  /** The change log from the start (ascending); the scope takes each update's newest relevant entry. */
  changes(): Promise<readonly DeploymentChangeRow[]>;
  /** Of these updates, the ones whose files (in the generation) are not all in the content store. */
  updatesWithoutContent(generationId: number, updateIds: readonly string[]): Promise<ReadonlySet<string>>;
}

export interface CatalogCacheOptions {
  readonly scopeMode: ScopeMode;
  /**
   * Generations kept in memory: the active one, a ringed rollout's generation, plus the ones scans are
   * still pinned to.
   */
  readonly maxGenerations: number;
  /** Compiled scopes kept (one per generation x group set x change sequence). */
  readonly maxScopes: number;
  /** How long the active generation id and the latest change sequence are reused before asking again. */
  readonly freshnessMs: number;
  /**
   * Content modes `approved`/`all`: an update approved for installation is offered only once all its files
   * are stored (as WSUS storing files locally does); until then clients see it as not approved.
   */
  readonly requireStoredContent: boolean;
}

export const defaultCatalogCacheOptions: CatalogCacheOptions = Object.freeze({
  scopeMode: 'all-non-declined',
  maxGenerations: 3,
  maxScopes: 256,
  freshnessMs: 1000,
  requireStoredContent: false,
});

/**
 * Deployment ids of explicit approvals live above every revision id the allocator can reach in practice
 * (2^30), so they never collide with the revision ids used for ungoverned revisions (client-scope.ts).
 */
const deploymentIdBase = 2 ** 30;

export interface LoadedGeneration {
  /** 0 = no active generation yet (an empty index answers every call). */
  readonly generationId: number;
  readonly index: CatalogIndex;
}

/**
 * In-memory catalog indexes by generation (bounded, least recently used evicted, the active one reloaded
 * when it changes) and compiled client scopes. A scan pins the generation it started on (the id travels in
 * the session cookie); a sync that activates a new generation meanwhile does not change what that scan sees.
 */
export class CatalogCache {
  readonly #generations = new Map<number, Promise<CatalogIndex | undefined>>();
  readonly #scopes = new Map<string, Promise<ClientScope>>();
  readonly #empty: CatalogIndex = buildCatalogIndex([]);
  #serving: { state: ServingState; at: number } | undefined;
  #seq: { value: number; at: number } | undefined;

  constructor(
    private readonly catalog: CatalogSource,
    private readonly deployments: DeploymentSource,
    private readonly logger: Logger,
    private readonly options: CatalogCacheOptions = defaultCatalogCacheOptions,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * The generation to serve: the pinned one (the scan's, from its cookie) while it can still be loaded, else
   * the one the computer's ring is served now (`groupIds`: the cookie's groups; none: the active one).
   */
  async generation(pinned: number, groupIds: readonly string[] = []): Promise<LoadedGeneration> {
    if (pinned > 0) {
      const idx = await this.index(pinned);
      if (idx !== undefined) return { generationId: pinned, index: idx };
    }
    const serving = await this.servingId(groupIds);
    if (serving === undefined) return { generationId: 0, index: this.#empty };
    const idx = await this.index(serving);
    if (idx === undefined) return { generationId: 0, index: this.#empty };
    return { generationId: serving, index: idx };
  }

  /** The generation a computer with these groups starts a scan on. */
  async servingId(groupIds: readonly string[]): Promise<number | undefined> {
    const state = await this.servingState();
    const r = state.rollout;
    if (r !== undefined) {
      const ring = ringIndexOf(state.rings, groupIds);
      if (ring >= 0 && ring <= r.ringIndex) return r.generationId;
    }
    return state.activeId;
  }

  /** The generation under a ringed rollout now, if any (its scans are the gate's evidence). */
  async rolloutGenerationId(): Promise<number | undefined> {
    return (await this.servingState()).rollout?.generationId;
  }

  async activeId(): Promise<number | undefined> {
    return (await this.servingState()).activeId;
  }

  private async servingState(): Promise<ServingState> {
    const now = this.clock();
    if (this.#serving === undefined || now - this.#serving.at >= this.options.freshnessMs)
      this.#serving = { state: await this.catalog.servingState(), at: now };
    return this.#serving.state;
  }

  async latestChangeSeq(): Promise<number> {
    const now = this.clock();
    if (this.#seq === undefined || now - this.#seq.at >= this.options.freshnessMs)
      this.#seq = { value: await this.deployments.latestChangeSeq(), at: now };
    return this.#seq.value;
  }

  private async index(generationId: number): Promise<CatalogIndex | undefined> {
    let p = this.#generations.get(generationId);
    if (p === undefined) {
      p = this.load(generationId);
      this.#generations.set(generationId, p);
      p.catch(() => this.#generations.delete(generationId));
    } else {
      this.#generations.delete(generationId);
      this.#generations.set(generationId, p);
    }
    while (this.#generations.size > this.options.maxGenerations) {
      const oldest = this.#generations.keys().next().value as number;
      this.#generations.delete(oldest);
      for (const k of [...this.#scopes.keys()]) if (k.startsWith(`${oldest}|`)) this.#scopes.delete(k);
    }
    return p;
  }

  private async load(generationId: number): Promise<CatalogIndex | undefined> {
    const started = performance.now();
    const builder = new CatalogInputBuilder();
    if (!(await this.catalog.loadGeneration(generationId, (chunk) => builder.addAll(chunk))))
      return undefined;
    const revisions = builder.size;
    const index = buildCatalogIndexFromColumns(builder.finish());
    this.logger.info(
      { generationId, revisions, ms: Math.round(performance.now() - started) },
      'catalog generation loaded',
    );
    return index;
  }

  /** The compiled scope for a client's groups (cached per generation, group set and change sequence). */
  async scope(g: LoadedGeneration, groupIds: readonly string[]): Promise<ClientScope> {
    const seq = await this.latestChangeSeq();
    const groups = [...groupIds].sort();
    const key = `${g.generationId}|${seq}|${groups.join(',')}`;
    let p = this.#scopes.get(key);
    if (p === undefined) {
      p = this.compile(g, groups, seq);
      this.#scopes.set(key, p);
      p.catch(() => this.#scopes.delete(key));
      while (this.#scopes.size > this.options.maxScopes)
        this.#scopes.delete(this.#scopes.keys().next().value as string);
    } else {
      this.#scopes.delete(key);
      this.#scopes.set(key, p);
    }
    return p;
  }

  private async compile(g: LoadedGeneration, groups: readonly string[], seq: number): Promise<ClientScope> {
    const index = g.index;
    const tree = await this.deployments.groupTree();
    const parent = new Map<string, string | null>();
    for (const g of tree) parent.set(g.groupId, g.parentGroupId);
    const parentOf = (g: GroupId): GroupId | undefined => parent.get(g) ?? undefined;
    // The groups whose approvals can apply: the memberships and all their ancestors.
    const relevant = new Set<string>();
    for (const g of groups)
      for (let cur: string | undefined = g, n = 0; cur !== undefined && n < 80; n++) {
        relevant.add(cur);
        cur = parent.get(cur) ?? undefined;
      }
    const approvals = await this.deployments.approvalsForGroups([...relevant]);
    const byUpdate = new Map<string, Map<string, GroupApproval>>();
    for (const a of approvals) {
      let m = byUpdate.get(a.updateId);
      if (m === undefined) byUpdate.set(a.updateId, (m = new Map<string, GroupApproval>()));
      m.set(a.groupId, {
        groupId: a.groupId,
        action: a.action === 'not_approved' ? 'notApproved' : a.action,
        ...(a.deadlineAt !== null ? { deadlineAt: a.deadlineAt } : {}),
      });
    }
    const lastChange = new Map<string, DeploymentChangeRow>();
    for (const c of await this.deployments.changes())
      if (c.groupId === null || relevant.has(c.groupId)) {
        const prev = lastChange.get(c.updateId);
        if (prev === undefined || prev.changeSeq < c.changeSeq) lastChange.set(c.updateId, c);
      }
    const effective = new Map<string, NonNullable<ReturnType<typeof resolveEffectiveApproval>>>();
    for (const [updateId, m] of byUpdate) {
      const eff = resolveEffectiveApproval(groups, parentOf, (gid) => m.get(gid));
      if (eff !== undefined) effective.set(updateId, eff);
    }
    // Content arriving for one of these writes a change-log entry, so the scope is compiled again then.
    const withoutContent = this.options.requireStoredContent
      ? await this.deployments.updatesWithoutContent(
          g.generationId,
          [...effective].filter(([, e]) => e.action === 'install').map(([u]) => u),
        )
      : new Set<string>();
    const deployments: ScopeDeploymentInput[] = [];
    for (const [updateId, eff] of effective) {
      const change = lastChange.get(updateId);
      const changeSeq = change?.changeSeq ?? 0;
      deployments.push({
        updateId,
        decision: eff.action === 'install' && withoutContent.has(updateId) ? 'notApproved' : eff.action,
        deadlineAt: eff.deadlineAt,
        deploymentId: deploymentIdBase + (changeSeq % deploymentIdBase),
        changeSeq,
        lastChangeAt: change?.changedAt ?? 0,
      });
    }
    // Declines and un-declines change what a client sees too: they count as changes of that update.
    const declined = await this.deployments.declinedUpdateIds();
    return compileScope(index, {
      mode: this.options.scopeMode,
      declinedUpdateIds: declined,
      deployments,
      anchor: seq,
    });
  }
}
