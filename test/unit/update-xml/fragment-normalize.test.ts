import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeFragment } from '../../helpers/fragment-normalize.js';

// The comparison normalization must remove exactly the documented differences and nothing else.

void test('equalizes attribute order, empty-tag spacing, entity forms, quotes and the LinkId value', () => {
  const pairs: [string, string][] = [
    ['<A b="1" a="2" />', '<A a="2" b="1"/>'],
    ["<A x='1' />", '<A x="1" />'],
    ['<T>a &#39; &gt; &#x26; b</T>', "<T>a ' > &amp; b</T>"],
    ['<A v="&#34;&amp;" />', '<A v="&quot;&#38;" />'],
    [
      '<SupportUrl>https://go.microsoft.com/fwlink/?LinkId=52661</SupportUrl>',
      '<SupportUrl>https://go.microsoft.com/fwlink/?LinkId=REDACTED</SupportUrl>',
    ],
    ['<U a="1" /><P b="2" />', '<U a="1"/><P b="2"/>'],
  ];
  for (const [a, b] of pairs) assert.equal(normalizeFragment(a), normalizeFragment(b), `${a} vs ${b}`);
});

void test('keeps every other difference', () => {
  const pairs: [string, string][] = [
    ['<A a="1" />', '<A a="2" />'],
    ['<A a="1" />', '<B a="1" />'],
    ['<A a="1" />', '<A b="1" />'],
    ['<A a="1" />', '<A a="1" b="" />'],
    ['<A></A>', '<A />'],
    ['<T>x</T>', '<T> x</T>'],
    ['<U /><P />', '<P /><U />'],
    ['<b.RegSz a="1" />', '<RegSz a="1" />'],
    ['<MoreInfoUrl>https://x/?LinkId=1</MoreInfoUrl>', '<MoreInfoUrl>https://x/?LinkId=2</MoreInfoUrl>'],
    [
      '<SupportUrl>https://x/?LinkId=1&amp;clcid=9</SupportUrl>',
      '<SupportUrl>https://x/?LinkId=1&amp;clcid=8</SupportUrl>',
    ],
  ];
  for (const [a, b] of pairs) assert.notEqual(normalizeFragment(a), normalizeFragment(b), `${a} vs ${b}`);
});

void test('refuses input it cannot tokenize instead of comparing garbage', () => {
  assert.throws(() => normalizeFragment('<A a="1"'));
  assert.throws(() => normalizeFragment('<A a=1 />'));
});
