/**
 * One KB number can name hundreds of updates (KB2267602: a Defender definition update per platform and
 * channel). `updates show KB2267602` picking one of them would show the admin an arbitrary update, so it
 * lists the candidates and asks for an update id (PB_ERR_INVALID_PARAMETER: exit 65, HTTP 400).
 */
import { AppError } from '../errors.js';

const shown = 20;

export function ambiguousKbError(
  kb: string,
  candidates: readonly { updateId: string; title: string | null; products: { title: string | null }[] }[],
  total: number,
  capped: boolean,
): AppError {
  const lines = candidates
    .slice(0, shown)
    .map(
      (c) =>
        `  ${c.updateId}  ${(c.title ?? '').slice(0, 80)}  [${c.products.map((p) => p.title ?? '?').join(', ')}]`,
    );
  const count = capped ? `more than ${total - 1}` : String(total);
  const rest = total > shown ? `\n  ... see all: patchbay updates list --kb ${kb}` : '';
  return new AppError(
    'PB_ERR_INVALID_PARAMETER',
    `KB${kb} names ${count} updates; name one by its update id:\n${lines.join('\n')}${rest}`,
    {
      detail: {
        parameter: 'update',
        candidates: candidates.slice(0, shown).map((c) => ({ updateId: c.updateId, title: c.title })),
      },
    },
  );
}
