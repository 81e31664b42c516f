import type { Executor } from '../transaction.js';

export interface CategoryWithParents {
  readonly updateId: string;
  readonly revisionNumber: number;
  /** Company | ProductFamily | Product | UpdateClassification | null (generic). */
  readonly categoryType: string | null;
  readonly title: string | null;
  /** The update ids the category's stored revision names as prerequisites (its parent categories). */
  readonly parents: readonly string[];
}

/** The categories the syncs stored (the current revision of each), for the admin's product selection. */
export class CategoryRepository {
  constructor(private readonly db: Executor) {}

  /** The type of every stored category by update id (null: a generic category such as a detectoid). */
  async types(): Promise<Map<string, string | null>> {
    const rows = await this.db.selectFrom('categories').select(['update_id', 'category_type']).execute();
    return new Map(rows.map((r) => [r.update_id, r.category_type ?? null]));
  }

  /** Every category with its parents, by type then title (the dialect's order for NULLs and collation). */
  async listWithParents(): Promise<CategoryWithParents[]> {
    const cats = await this.db
      .selectFrom('categories')
      .select(['update_id', 'revision_number', 'category_type', 'title'])
      .orderBy('category_type')
      .orderBy('title')
      .execute();
    const links = await this.db
      .selectFrom('categories')
      .innerJoin('revision_prerequisites', 'revision_prerequisites.revision_id', 'categories.revision_id')
      .select(['categories.update_id as child', 'revision_prerequisites.update_id as parent'])
      .execute();
    const byChild = new Map<string, string[]>();
    for (const l of links) {
      let list = byChild.get(l.child);
      if (!list) byChild.set(l.child, (list = []));
      list.push(l.parent);
    }
    return cats.map((c) => ({
      updateId: c.update_id,
      revisionNumber: c.revision_number,
      categoryType: c.category_type,
      title: c.title,
      parents: byChild.get(c.update_id) ?? [],
    }));
  }
}
