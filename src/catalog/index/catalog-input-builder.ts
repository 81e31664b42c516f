import { AppError } from '../../errors.js';
import { kindCodes, revFlag } from './catalog-index.js';
import type { CatalogRevisionInput } from './catalog-revision-input.js';

function fail(message: string): never {
  throw new AppError('PB_ERR_CATALOG_INPUT', message);
}

/** An int32 column that grows by doubling (amortised O(1) push, no per-element object). */
class IntColumn {
  #a = new Int32Array(1024);
  length = 0;

  push(v: number): void {
    if (this.length === this.#a.length) {
      const b = new Int32Array(this.#a.length * 2);
      b.set(this.#a);
      this.#a = b;
    }
    this.#a[this.length++] = v;
  }

  /** The filled part, trimmed (one copy; the builder is dropped right after). */
  done(): Int32Array {
    return this.#a.slice(0, this.length);
  }
}

/**
 * A catalog generation's revisions in columns, as `buildCatalogIndex` reads them: every GUID interned once
 * (lower case) and referred to by number, prerequisite clauses and bundle groups as CSR int arrays.
 */
export interface CatalogInputColumns {
  readonly revisionIds: Int32Array;
  readonly revisionNumbers: Int32Array;
  /** Kind code | revFlag.expired. */
  readonly kindFlags: Uint8Array;
  /** Seconds since the epoch. */
  readonly lastChange: Uint32Array;
  /** Name (interned GUID) of each revision's update. */
  readonly updateName: Int32Array;
  /** CSR: clauses of revision r are clauseStart[r]..clauseStart[r+1]; alternatives are names. */
  readonly clauseStart: Int32Array;
  readonly clauseIsCategory: Uint8Array;
  readonly clauseAltStart: Int32Array;
  readonly clauseAlt: Int32Array;
  /** CSR: BundledUpdates groups of revision r; members are names. */
  readonly groupStart: Int32Array;
  readonly groupAltStart: Int32Array;
  readonly groupAlt: Int32Array;
  /** The interned GUIDs, lower case, as given (not validated: only revisions' own update ids are parsed). */
  readonly names: readonly string[];
}

/**
 * Collects a generation's revisions chunk by chunk so a large catalog (500,000 revisions) never sits in
 * memory as objects: a `CatalogRevisionInput` with its clause arrays and GUID strings costs ~1.2 KiB, its
 * columns here ~40 bytes plus one string per distinct GUID (targets.md P5). Validates what the columns
 * cannot hold (ids and numbers out of range, unknown kinds) as each record arrives.
 */
export class CatalogInputBuilder {
  readonly #nameOf = new Map<string, number>();
  readonly #names: string[] = [];
  readonly #revisionIds = new IntColumn();
  readonly #revisionNumbers = new IntColumn();
  readonly #kindFlags = new IntColumn();
  readonly #lastChange = new IntColumn();
  readonly #updateName = new IntColumn();
  readonly #clauseStart = new IntColumn();
  readonly #clauseIsCategory = new IntColumn();
  readonly #clauseAltStart = new IntColumn();
  readonly #clauseAlt = new IntColumn();
  readonly #groupStart = new IntColumn();
  readonly #groupAltStart = new IntColumn();
  readonly #groupAlt = new IntColumn();

  get size(): number {
    return this.#revisionIds.length;
  }

  #intern(guid: string): number {
    const key = guid.toLowerCase();
    let i = this.#nameOf.get(key);
    if (i === undefined) {
      i = this.#names.length;
      this.#nameOf.set(key, i);
      this.#names.push(key);
    }
    return i;
  }

  add(rec: CatalogRevisionInput): void {
    if (this.size >= 0x3fffffff) fail('too many revisions');
    const id = rec.revisionId;
    if (!Number.isInteger(id) || id < 1 || id > 0x7fffffff) fail(`revision id out of range: ${id}`);
    const rn = rec.revisionNumber;
    if (!Number.isInteger(rn) || rn < 0 || rn > 0x7fffffff) fail(`revision number out of range: ${rn}`);
    const kind = kindCodes.indexOf(rec.kind);
    if (kind < 0) fail(`unknown revision kind: ${String(rec.kind)}`);
    this.#revisionIds.push(id);
    this.#revisionNumbers.push(rn);
    this.#kindFlags.push(kind | (rec.expired ? revFlag.expired : 0));
    const t = Math.floor(rec.lastChangeAt / 1000);
    this.#lastChange.push(Number.isFinite(t) && t > 0 ? Math.min(t, 0xffffffff) : 0);
    this.#updateName.push(this.#intern(rec.updateId));
    this.#clauseStart.push(this.#clauseIsCategory.length);
    for (const cl of rec.prerequisites) {
      this.#clauseIsCategory.push(cl.isCategory ? 1 : 0);
      this.#clauseAltStart.push(this.#clauseAlt.length);
      for (const alt of cl.anyOf) this.#clauseAlt.push(this.#intern(alt));
    }
    this.#groupStart.push(this.#groupAltStart.length);
    for (const grp of rec.bundledUpdates ?? []) {
      this.#groupAltStart.push(this.#groupAlt.length);
      for (const member of grp.anyOf) this.#groupAlt.push(this.#intern(member.updateId));
    }
  }

  addAll(records: readonly CatalogRevisionInput[]): void {
    for (const r of records) this.add(r);
  }

  finish(): CatalogInputColumns {
    this.#clauseStart.push(this.#clauseIsCategory.length);
    this.#clauseAltStart.push(this.#clauseAlt.length);
    this.#groupStart.push(this.#groupAltStart.length);
    this.#groupAltStart.push(this.#groupAlt.length);
    this.#nameOf.clear();
    return {
      revisionIds: this.#revisionIds.done(),
      revisionNumbers: this.#revisionNumbers.done(),
      kindFlags: Uint8Array.from(this.#kindFlags.done()),
      lastChange: new Uint32Array(this.#lastChange.done().buffer),
      updateName: this.#updateName.done(),
      clauseStart: this.#clauseStart.done(),
      clauseIsCategory: Uint8Array.from(this.#clauseIsCategory.done()),
      clauseAltStart: this.#clauseAltStart.done(),
      clauseAlt: this.#clauseAlt.done(),
      groupStart: this.#groupStart.done(),
      groupAltStart: this.#groupAltStart.done(),
      groupAlt: this.#groupAlt.done(),
      names: this.#names,
    };
  }
}
