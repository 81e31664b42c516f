/**
 * Differential mutation fuzz of the streaming update-document reader (stream-update-document.ts, R4): for each
 * mutated document, parseUpdateDocument gives the same record and byte-identical fragments as the saxes tree
 * path, or the same typed error; nothing else is ever thrown; no iteration hangs. Seeds: the real documents
 * and a synthetic one with every construct the fragment transform treats specially (driver metadata, MSI
 * rules, MsiPatch, xsi:type, empty elements, references, `>` in text, odd spacing and quoting, CBS manifest).
 * CI: 6,000 iterations (~10-20 s). Manual: PATCHBAY_FUZZ_ITERATIONS=500000 PATCHBAY_FUZZ_SEED=7; a failure
 * prints its iteration and input (JSON) for a regression test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { fixturePath, readFixture } from '../helpers/fixtures.js';
import { fuzzIterations, fuzzSeed } from '../helpers/fuzz.js';
import { createRng, mutateXmlTimes, type Rng } from '../helpers/xml-mutations.js';
import { checkStreamedDocument } from '../unit/update-xml/stream-check.js';

const iterations = fuzzIterations(6_000);
const seed = fuzzSeed(20261123);
const msus = 'http://schemas.microsoft.com/msus/2002/12';

/** Every special case of docs/protocol/client.md §1.7 in one plain document (shapes of docs/protocol/update-xml.md §3.2). */
export const featureSeed =
  `<upd:Update xmlns:upd="${msus}/Update" xmlns:bar="${msus}/BaseApplicabilityRules" xmlns:lar="${msus}/LogicalApplicabilityRules" xmlns:drv="${msus}/UpdateHandlers/WindowsDriver" xmlns:mar="${msus}/MsiApplicabilityRules" xmlns:cbs="${msus}/UpdateHandlers/Cbs">\n` +
  '  <upd:UpdateIdentity UpdateID="0BD4C7A7-6C36-4D79-B9A3-1C6E9F5B7E01" RevisionNumber="101"/>\n' +
  '  <upd:Properties UpdateType="Driver" ExplicitlyDeployable="true" EulaID="5f0e3f3a-0c5f-4c2e-9a43-0f6d2d6c0b11" DefaultPropertiesLanguage="en" PublicationState="Published"><upd:InstallationBehavior RebootBehavior="CanRequestReboot" /><upd:KBArticleID> 5040000 </upd:KBArticleID></upd:Properties>\n' +
  '  <upd:LocalizedPropertiesCollection><upd:LocalizedProperties><upd:Language>en</upd:Language><upd:Title>A &amp; B &gt; C \'q\' "d"</upd:Title></upd:LocalizedProperties><upd:LocalizedProperties><upd:Language>de</upd:Language><upd:Title>&#xE9;t&#233;</upd:Title></upd:LocalizedProperties></upd:LocalizedPropertiesCollection>\n' +
  '  <upd:Relationships><upd:Prerequisites><upd:AtLeastOne IsCategory="true"><upd:UpdateIdentity UpdateID="72e7624a-5b00-45d2-b92f-e561c0a6a160" /></upd:AtLeastOne></upd:Prerequisites></upd:Relationships>\n' +
  '  <upd:ApplicabilityRules>\n    <upd:IsInstalled><lar:False /></upd:IsInstalled>\n' +
  `    <upd:IsInstallable><lar:And><bar:WindowsVersion Comparison="GreaterThanOrEqualTo" MajorVersion="10" xmlns:bar="${msus}/BaseApplicabilityRules"/><mar:MsiProductInstalled ProductCode='{X}' Note='a "b"' /><b:FileExists xmlns:b="${msus}/BaseApplicabilityRules" Path="x"><lar:True /></b:FileExists><Processor xmlns="${msus}/BaseApplicabilityRules" Architecture="9" Extra="1" /><bar:RegSz Key="HKEY_LOCAL_MACHINE" Subkey="a&amp;b&#x9;c" Value = "x>y"></bar:RegSz></lar:And></upd:IsInstallable>\n` +
  '    <upd:Metadata><drv:WindowsDriverMetaData HardwareID="PCI\\VEN_1" WhqlDriverID="7"><drv:CompatibleProvider /><drv:TargetComputerHardwareId>{a}</drv:TargetComputerHardwareId></drv:WindowsDriverMetaData>' +
  '<MsiPatch xmlns="http://www.microsoft.com/msi/patch_applicability.xsd" PatchCode="{P}"><TargetProduct MinMsiVersion="3"><TargetProductCode>{T}</TargetProductCode><Empty></Empty><Spaced a="1"  b="2" /></TargetProduct></MsiPatch>' +
  '<cbs:CbsPackageApplicabilityMetadata><assembly xmlns="urn:schemas-microsoft-com:asm.v3" manifestVersion="1.0"><assemblyIdentity name="Package_for_RollupFix" version="26100.1.1.0" /><package identifier="KB5040000"><update name="1"><component><assemblyIdentity name="x" version="1" /></component></update><text>a &lt; b &gt; c</text><gt>a > b</gt><cr>a&#xD;b</cr><empty></empty><ws> </ws><t >x</t ></package></assembly></cbs:CbsPackageApplicabilityMetadata></upd:Metadata>\n' +
  '  </upd:ApplicabilityRules>\n' +
  '  <upd:Files><upd:File Digest="vXidQqLgJwCO4+fE++5nIN1txMk=" DigestAlgorithm="SHA1" FileName="x.cab" Size="12" Modified="2026-09-01T00:00:00Z"><upd:AdditionalDigest Algorithm="SHA256">FX0fJz391BBQFKgKnFee7Set4FikM6ebvaIHkpuXY+c=</upd:AdditionalDigest></upd:File></upd:Files>\n' +
  `  <upd:HandlerSpecificData xsi:type="drv:WindowsDriver" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><drv:WindowsDriverMetaData Company="c" /></upd:HandlerSpecificData>\n` +
  '  <upd:ApplicabilityRules><upd:IsInstalled><lar:True /></upd:IsInstalled></upd:ApplicabilityRules><other xmlns="urn:x"><a/></other>\n' +
  '</upd:Update>';

function seeds(): string[] {
  const dir = ['wsus', 'wsus-m0-wsusss', 'docs'];
  const real = readdirSync(fixturePath(...dir))
    .filter((f) => f.endsWith('.xml'))
    .sort()
    .map((f) => readFixture(...dir, f).toString('utf8'));
  return [...real, featureSeed, featureSeed, featureSeed];
}

/** Update-specific edits on top of the generic XML mutations: names and spacing the transform cares about. */
function mutateUpdate(s: string, rng: Rng): string {
  const edits: [RegExp, string][] = [
    [/ \/>/g, '/>'],
    [/<upd:(\w+)><\/upd:\1>/g, '<upd:$1/>'],
    [/ \/>/g, '></x>'],
    [/="/g, "='"],
    [/"/g, "'"],
    [/ /g, '  '],
    [/upd:ApplicabilityRules/g, 'upd:Metadata'],
    [/drv:/g, 'bar:'],
    [/MsiPatch/g, 'Msi'],
    [/>/g, '> '],
  ];
  const [re, to] = rng.pick(edits);
  const matches = [...s.matchAll(re)];
  if (matches.length === 0) return s;
  const m = rng.pick(matches);
  return s.slice(0, m.index) + m[0].replace(new RegExp(re.source), to) + s.slice(m.index + m[0].length);
}

void test(`streaming update-document reader differential fuzz: ${iterations} iterations, seed ${seed}`, (t) => {
  const all = seeds();
  // The unmutated seeds stream and agree (else the fuzz would only ever compare the fallback with itself).
  for (const s of all) assert.ok(checkStreamedDocument(s), 'seed not streamed');
  const rng = createRng(seed);
  let slowest = 0;
  let streamed = 0;
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) {
    let input = rng.pick(all);
    if (rng.int(2) === 0) input = mutateUpdate(input, rng);
    input = rng.int(4) === 0 ? input : mutateXmlTimes(input, rng, 80 * 1024);
    const started = performance.now();
    try {
      if (checkStreamedDocument(input)) streamed++;
    } catch (e) {
      assert.fail(
        `iteration ${i} (seed ${seed}): ${e instanceof Error ? e.message : String(e)}\n` +
          `input (JSON): ${JSON.stringify(input).slice(0, 6000)}`,
      );
    }
    slowest = Math.max(slowest, performance.now() - started);
  }
  t.diagnostic(
    `stream fuzz: ${iterations} iterations in ${((performance.now() - t0) / 1000).toFixed(1)} s, slowest ${slowest.toFixed(1)} ms, streamed ${streamed}`,
  );
  assert.ok(slowest < 1000, `slowest iteration took ${slowest.toFixed(0)} ms`);
  assert.ok(streamed > iterations / 10 && streamed < iterations, 'both reader paths must be exercised');
});
