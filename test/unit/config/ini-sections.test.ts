/**
 * The INI section walk both loaders share (patchbay.ini and connector.ini): structural problems carry the INI
 * path and the file line, accepted sections (even empty ones) and keys reach the loader, nothing else does.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  formatProblem,
  parseIniText,
  walkIniSections,
  type ConfigProblem,
  type IniLayout,
} from '../../../src/config/index.js';

const layout: IniLayout = {
  outsideSectionHint: 'put it under [a]',
  section: (name) =>
    name === 'a' || name === 'empty'
      ? { keys: ['port', 'name'] }
      : { problem: 'unknown section (known: [a])' },
  refusedKey: (_s, key) =>
    key === 'password' ? 'secrets are not accepted in the file; use password_env' : undefined,
};

function walk(text: string) {
  const problems: ConfigProblem[] = [];
  const ini = parseIniText(text, 'x.ini', problems);
  assert.ok(ini);
  const sections: string[] = [];
  const keys: string[] = [];
  walkIniSections(ini, 'x.ini', layout, problems, {
    section: (s) => sections.push(s),
    key: (s, k, v) => keys.push(`${s}.${k}=${String(v)}`),
  });
  return { problems: problems.map(formatProblem), sections, keys };
}

void test('every structural problem names the INI path and the file line', () => {
  const r = walk(
    ['stray = 1', '[a]', 'port = 80', 'prot = 81', 'password = pw', '[b]', 'port = 1', '[empty]'].join('\n'),
  );
  assert.deepEqual(r.problems, [
    'stray: setting outside a section (put it under [a]) (x.ini line 1)',
    'a.prot: unknown key (did you mean port?) (x.ini line 4)',
    'a.password: secrets are not accepted in the file; use password_env (x.ini line 5)',
    'b: unknown section (known: [a]) (x.ini)',
  ]);
  assert.deepEqual(r.sections, ['a', 'empty']);
  assert.deepEqual(r.keys, ['a.port=80']);
});

void test('a nested section is unknown, and __proto__ never reaches the loader', () => {
  const r = walk(['[a]', 'name = n', '[a.deep]', 'port = 1', '[__proto__]', 'port = 2'].join('\n'));
  assert.deepEqual(
    r.problems.filter((p) => !p.includes('not allowed')),
    ['a.deep: unknown section (sections do not nest) (x.ini)'],
  );
  assert.deepEqual(r.keys, ['a.name=n']);
});
