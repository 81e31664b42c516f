/**
 * What the signed-in roles may change, to hide the buttons they could not use (docs/administration.md
 * "Roles"). The server decides anyway: a hidden button is a courtesy, a refused request is the rule.
 */
import { createContext, useContext } from 'react';

export interface Can {
  readonly approve: boolean;
  readonly fleet: boolean;
  readonly server: boolean;
  readonly tokens: boolean;
}

export function canFor(roles: readonly string[]): Can {
  const admin = roles.includes('admin');
  return { approve: admin || roles.includes('approver'), fleet: admin, server: admin, tokens: admin };
}

export const CanContext = createContext<Can>(canFor([]));
export const useCan = (): Can => useContext(CanContext);
