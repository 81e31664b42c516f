/**
 * XML-aware mutations for the XML/SOAP fuzzer. Deterministic: every choice comes from the seeded PRNG, so
 * a failing iteration is reproduced by its (seed, iteration). The generic byte-level helper for the CAB
 * fuzzer did not exist when this was written; this file holds only what is XML-specific plus a tiny PRNG.
 */

export interface Rng {
  /** Uniform integer in [0, n). */
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
}

/** mulberry32: small, fast, good enough for mutation choices. */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    int: (n) => Math.floor(next() * n),
    pick: (xs) => xs[Math.floor(next() * xs.length)]!,
  };
}

const tagRe = /<\/?[A-Za-z_][^<>]*>/g;

function tags(s: string): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (const m of s.matchAll(tagRe)) out.push({ start: m.index, end: m.index + m[0].length });
  return out;
}

const snippets = [
  '<!DOCTYPE x SYSTEM "file:///etc/passwd">',
  '<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>',
  '<!DOCTYPE x [<!ENTITY % p SYSTEM "http://127.0.0.1/x">%p;]>',
  '&#x41;',
  '&#65;',
  '&#0;',
  '&#xD800;',
  '&#x110000;',
  '&amp;',
  '&lt;&gt;&quot;&apos;',
  '&foo;',
  '&',
  '<',
  ']]>',
  '<![CDATA[x]]>',
  '<!-- c -->',
  '<?pi x?>',
  '<?xml version="1.0"?>',
  '\u0000',
  '\r\n',
  '\t',
  '\uFEFF',
  '\uD800',
  '\uFFFF',
  'é',
  '99999999999999999999',
  '-2147483649',
  '2147483648',
  ' xmlns="urn:x"',
  ' xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"',
  ' xmlns:p=""',
  ' xmlns:xml="urn:bad"',
  ' xml:lang="en"',
  ' a="1" a="2"',
  ' p:a="1"',
  ' s:mustUnderstand="1"',
  '<s:Header/>',
  '<int>1</int>',
  '</int>',
  '<a:b:c>',
  '<x/>',
  "<x a='&quot;'/>",
];

/** One random mutation of an XML text. */
export function mutateXml(s: string, rng: Rng): string {
  const t = tags(s);
  const at = rng.int(s.length + 1);
  switch (rng.int(12)) {
    case 0: {
      // delete a tag
      if (t.length === 0) return s.slice(0, at);
      const g = rng.pick(t);
      return s.slice(0, g.start) + s.slice(g.end);
    }
    case 1: {
      // duplicate a tag
      if (t.length === 0) return s + s;
      const g = rng.pick(t);
      return s.slice(0, g.end) + s.slice(g.start, g.end) + s.slice(g.end);
    }
    case 2: {
      // swap two tags
      if (t.length < 2) return s;
      let a = rng.pick(t);
      let b = rng.pick(t);
      if (a.start > b.start) [a, b] = [b, a];
      if (a.end > b.start) return s;
      return (
        s.slice(0, a.start) +
        s.slice(b.start, b.end) +
        s.slice(a.end, b.start) +
        s.slice(a.start, a.end) +
        s.slice(b.end)
      );
    }
    case 3:
      return s.slice(0, at) + rng.pick(snippets) + s.slice(at);
    case 4: {
      // insert a snippet inside a tag (attribute position)
      if (t.length === 0) return s;
      const g = rng.pick(t);
      const pos = g.end - 1 - (s[g.end - 2] === '/' ? 1 : 0);
      return s.slice(0, pos) + rng.pick(snippets.filter((x) => x.startsWith(' '))) + s.slice(pos);
    }
    case 5: {
      // deep nesting around a point
      const d = 1 + rng.int(80);
      return (
        s.slice(0, at) + '<d>'.repeat(d) + '</d>'.repeat(rng.int(2) === 0 ? d : rng.int(d + 1)) + s.slice(at)
      );
    }
    case 6:
      // truncate
      return s.slice(0, at);
    case 7: {
      // random characters
      let r = '';
      const k = 1 + rng.int(8);
      for (let i = 0; i < k; i++)
        r += String.fromCharCode(rng.int(4) === 0 ? rng.int(0x10000) : 32 + rng.int(95));
      return s.slice(0, at) + r + s.slice(at);
    }
    case 8: {
      // delete a random span
      const len = rng.int(20);
      return s.slice(0, at) + s.slice(at + len);
    }
    case 9: {
      // repeat a span (quadratic-ish growth, bounded by the caller's size cap)
      const len = 1 + rng.int(40);
      const span = s.slice(at, at + len);
      return s.slice(0, at) + span.repeat(1 + rng.int(50)) + s.slice(at);
    }
    case 10: {
      // change a character of a name (prefix games, case changes)
      if (t.length === 0) return s;
      const g = rng.pick(t);
      const p = g.start + 1 + rng.int(Math.max(1, g.end - g.start - 2));
      const c = s[p] ?? 'a';
      const r = c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase();
      return s.slice(0, p) + (rng.int(3) === 0 ? ':' : r) + s.slice(p + 1);
    }
    default:
      // huge number in a text position
      return s.slice(0, at) + '9'.repeat(1 + rng.int(40)) + s.slice(at);
  }
}

/** 1-3 stacked mutations, the output capped at `maxLength` characters. */
export function mutateXmlTimes(s: string, rng: Rng, maxLength: number): string {
  let out = s;
  const k = 1 + rng.int(3);
  for (let i = 0; i < k; i++) out = mutateXml(out, rng);
  return out.length > maxLength ? out.slice(0, maxLength) : out;
}
