/**
 * P3 (targets.md): update-document parse throughput, >= 50 MiB/s per core.
 *
 * Inputs: the 8 real documents of test/fixtures/wsus/wsus-m0-wsusss/docs (UTF-8, 1-38 KB each), and
 * synthetic CBS-shaped documents of 8 MB and 47 MB (real Windows 11 CBS documents reach 47 MB because
 * `ApplicabilityRules/Metadata` embeds the package manifest; these replicate manifest-like elements).
 * Also the peak RSS of parsing + deriving the fragments of the 47 MB document once (P5: document bodies are
 * held one at a time, so this bounds the importer's memory), beside the document size.
 * Figures, each beside the anchor measured in the same run over the same bytes — raw saxes
 * (`new SaxesParser({ xmlns: true })`, empty `opentag` handler, plus the same byte decoding):
 *   - parseUpdateDocument (bytes -> typed record)
 *   - parseUpdateDocument + deriveFragments (what the catalog importer does per revision)
 * MiB/s are MiB of the UTF-8 input. Run: `npx tsx bench/update-parse.bench.ts [--quick]`.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { SaxesParser } from 'saxes';
import { deriveFragments, parseUpdateDocument } from '../src/protocol/update-xml/index.js';
import { formatResult, type BenchResult } from './lib/result.js';

const docsDir = fileURLToPath(new URL('../test/fixtures/wsus/wsus-m0-wsusss/docs/', import.meta.url));
const target = 50;

function realDocuments(): Buffer[] {
  return readdirSync(docsDir)
    .filter((f) => f.endsWith('.xml'))
    .sort()
    .map((f) => readFileSync(`${docsDir}${f}`));
}

/** A CBS-shaped update document of about `bytes` bytes: real header, manifest-like Metadata. */
export function syntheticCbsDocument(bytes: number): Buffer {
  const msus = 'http://schemas.microsoft.com/msus/2002/12';
  const head =
    `<upd:Update xmlns:pub="${msus}/Publishing" xmlns:bar="${msus}/BaseApplicabilityRules" xmlns:lar="${msus}/LogicalApplicabilityRules" xmlns:cbs="${msus}/UpdateHandlers/Cbs" xmlns:upd="${msus}/Update">` +
    '<upd:UpdateIdentity UpdateID="0bd4c7a7-6c36-4d79-b9a3-1c6e9f5b7e01" RevisionNumber="201" />' +
    `<upd:Properties UpdateType="Software" DefaultPropertiesLanguage="en" Handler="${msus}/UpdateHandlers/Cbs" MaxDownloadSize="812345678" MinDownloadSize="0" PublicationState="Published" CreationDate="2026-09-09T17:00:00.000Z" PublisherID="395392a0-19c0-48b7-a927-f7c15066d905"><upd:InstallationBehavior RebootBehavior="CanRequestReboot" /><upd:KBArticleID>5040000</upd:KBArticleID></upd:Properties>` +
    '<upd:LocalizedPropertiesCollection><upd:LocalizedProperties><upd:Language>en</upd:Language><upd:Title>2026-09 Cumulative Update for Windows 11 (synthetic benchmark document)</upd:Title><upd:Description>Synthetic CBS-shaped document for the P3 benchmark.</upd:Description></upd:LocalizedProperties></upd:LocalizedPropertiesCollection>' +
    '<upd:Relationships><upd:Prerequisites><upd:UpdateIdentity UpdateID="be4048db-157c-4532-9582-7f05099590c9" /><upd:AtLeastOne IsCategory="true"><upd:UpdateIdentity UpdateID="72e7624a-5b00-45d2-b92f-e561c0a6a160" /></upd:AtLeastOne></upd:Prerequisites></upd:Relationships>' +
    `<upd:ApplicabilityRules><upd:IsInstalled><cbs:CbsPackageInstalledByIdentity xmlns:cbs="${msus}/UpdateHandlers/Cbs" PackageIdentity="Package_for_RollupFix~31bf3856ad364e35~amd64~~26100.1.1.0" /></upd:IsInstalled>` +
    `<upd:IsInstallable><lar:And><bar:WindowsVersion Comparison="GreaterThanOrEqualTo" MajorVersion="10" MinorVersion="0" BuildNumber="26100" xmlns:bar="${msus}/BaseApplicabilityRules" /><bar:Processor Architecture="9" xmlns:bar="${msus}/BaseApplicabilityRules" /></lar:And></upd:IsInstallable>` +
    '<upd:Metadata><cbs:CbsPackageApplicabilityMetadata><assembly xmlns="urn:schemas-microsoft-com:asm.v3" manifestVersion="1.0" copyright="Copyright (c) Microsoft Corporation. All Rights Reserved.">' +
    '<assemblyIdentity name="Package_for_RollupFix" version="26100.1.1.0" processorArchitecture="amd64" language="neutral" buildType="release" publicKeyToken="31bf3856ad364e35" />' +
    '<package identifier="KB5040000" releaseType="Update" restart="possible" targetPartition="MainOS" binaryPartition="false">';
  const tail =
    '</package></assembly></cbs:CbsPackageApplicabilityMetadata></upd:Metadata></upd:ApplicabilityRules>' +
    '<upd:Files><upd:File Digest="vXidQqLgJwCO4+fE++5nIN1txMk=" DigestAlgorithm="SHA1" FileName="windows11.0-kb5040000-x64.cab" Size="812345678" Modified="2026-09-01T00:00:00Z" PatchingType="SelfContained"><upd:AdditionalDigest Algorithm="SHA256">FX0fJz391BBQFKgKnFee7Set4FikM6ebvaIHkpuXY+c=</upd:AdditionalDigest></upd:File></upd:Files>' +
    `<upd:HandlerSpecificData xsi:type="cbs:Cbs" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><cbs:CbsData PackageIdentity="" xmlns:cbs="${msus}/UpdateHandlers/Cbs" /></upd:HandlerSpecificData></upd:Update>`;
  // Built in ~1 MB chunks of bytes, so generating a 47 MB document peaks near its size (the RSS figure).
  const chunks: Buffer[] = [Buffer.from(head, 'utf8')];
  let size = head.length + tail.length;
  let chunk = '';
  for (let i = 0; size < bytes; i++) {
    const name = `Microsoft-Windows-Component-${i.toString(36)}-Deployment`;
    const unit =
      `<parent buildCompare="EQ" revisionCompare="GE" integrate="separate"><assemblyIdentity name="${name}" version="10.0.26100.${i % 5000}" processorArchitecture="amd64" language="neutral" buildType="release" publicKeyToken="31bf3856ad364e35" /></parent>` +
      `<update name="${i.toString(16)}"><component><assemblyIdentity name="${name}" version="10.0.26100.${i % 5000}" processorArchitecture="amd64" language="neutral" buildType="release" publicKeyToken="31bf3856ad364e35" versionScope="nonSxS" /></component></update>`;
    chunk += unit;
    size += unit.length;
    if (chunk.length >= 1024 * 1024) {
      chunks.push(Buffer.from(chunk, 'utf8'));
      chunk = '';
    }
  }
  chunks.push(Buffer.from(chunk + tail, 'utf8'));
  return Buffer.concat(chunks);
}

function saxesAnchor(bytes: Buffer): void {
  const p = new SaxesParser({ xmlns: true });
  p.on('opentag', () => undefined);
  p.write(bytes.toString('utf8'));
  p.close();
}

/** MiB/s of `fn` over `inputs`, measured for about `ms` after a warm-up. */
function throughput(inputs: readonly Buffer[], fn: (b: Buffer) => void, ms: number): number {
  const total = inputs.reduce((n, b) => n + b.length, 0);
  // JIT warm-up as long as the measurement in quick mode: a short one measured the interpreter, not the code.
  const warmUntil = performance.now() + Math.min(500, ms);
  while (performance.now() < warmUntil) for (const b of inputs) fn(b);
  let rounds = 0;
  const t0 = performance.now();
  let elapsed: number;
  do {
    for (const b of inputs) fn(b);
    rounds++;
    elapsed = performance.now() - t0;
  } while (elapsed < ms);
  return (rounds * total) / (elapsed / 1000) / (1024 * 1024);
}

const mib = 1024 * 1024;

/**
 * Peak RSS of one parse + fragments of a `bytes`-sized document, in a fresh process (`--rss-child`): the
 * process peak never goes down, so it is measured before anything else runs. Returns MiB.
 */
function peakRss(bytes: number): { peak: number; before: number } {
  const r = spawnSync(
    process.execPath,
    [...process.execArgv, '--expose-gc', fileURLToPath(import.meta.url), '--rss-child', String(bytes)],
    { encoding: 'utf8' },
  );
  const m = /^rss (\d+) (\d+)$/m.exec(r.stdout);
  if (!m) throw new Error(`RSS child failed: ${r.stderr}`);
  return { before: Number(m[1]) / mib, peak: Number(m[2]) / mib };
}

function rssChild(bytes: number): void {
  const doc = syntheticCbsDocument(bytes);
  (globalThis as { gc?: () => void }).gc?.();
  const before = process.memoryUsage().rss;
  const fragments = deriveFragments(parseUpdateDocument(doc));
  if (fragments.core.length < doc.length / 2) throw new Error('Core fragment too short');
  console.log(`rss ${before} ${process.resourceUsage().maxRSS * 1024}`);
}

export async function run(opts: { quick: boolean }): Promise<BenchResult[]> {
  const ms = opts.quick ? 250 : 2500;
  const bigSize = opts.quick ? 2 * mib : 47 * mib;
  const results: BenchResult[] = [];
  const rss = peakRss(bigSize);
  results.push({
    id: 'P5d',
    name: `peak RSS of a process parsing + deriving fragments of a ${bigSize / mib} MB CBS document (${rss.before.toFixed(0)} MiB before parsing)`,
    value: rss.peak,
    unit: 'MiB',
    anchor: bigSize / mib,
    anchorName: 'document size',
    ratio: rss.peak / (bigSize / mib),
  });
  const big = syntheticCbsDocument(bigSize);
  const sets: { label: string; inputs: Buffer[] }[] = [
    { label: 'real documents (8, 1-38 KB)', inputs: realDocuments() },
    {
      label: `synthetic CBS document (${opts.quick ? '0.5' : '8'} MB)`,
      inputs: [syntheticCbsDocument(opts.quick ? 512 * 1024 : 8 * mib)],
    },
    { label: `synthetic CBS document (${bigSize / mib} MB)`, inputs: [big] },
  ];
  const parse = (b: Buffer): void => {
    parseUpdateDocument(b);
  };
  const parseAndDerive = (b: Buffer): void => {
    deriveFragments(parseUpdateDocument(b));
  };
  for (const s of sets) {
    // Anchor measured right before each figure so both see the same machine load.
    const anchor1 = throughput(s.inputs, saxesAnchor, ms);
    const parsed = throughput(s.inputs, parse, ms);
    results.push({
      id: 'P3',
      name: `update-document parse, ${s.label}`,
      value: parsed,
      unit: 'MiB/s',
      anchor: anchor1,
      anchorName: 'raw saxes xmlns, empty opentag',
      ratio: parsed / anchor1,
      target: `>= ${target} MiB/s per core`,
      pass: parsed >= target,
    });
    const anchor2 = throughput(s.inputs, saxesAnchor, ms);
    const derived = throughput(s.inputs, parseAndDerive, ms);
    results.push({
      id: 'P3d',
      name: `update-document parse + Core/Extended/Localized fragments, ${s.label}`,
      value: derived,
      unit: 'MiB/s',
      anchor: anchor2,
      anchorName: 'raw saxes xmlns, empty opentag',
      ratio: derived / anchor2,
    });
  }
  return Promise.resolve(results);
}

const rssArg = process.argv.indexOf('--rss-child');
if (rssArg > 0) rssChild(Number(process.argv[rssArg + 1]));
else if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const results = await run({ quick: process.argv.includes('--quick') });
  for (const r of results) console.log(formatResult(r));
}
