import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseXml } from '../../../src/protocol/xml/index.js';
import {
  deriveCoreFragment,
  deriveExtendedFragment,
  deriveFragments,
  deriveLocalizedPropertiesFragment,
  parseUpdateDocument,
} from '../../../src/protocol/update-xml/index.js';

// Synthetic documents for the rules of docs/protocol/client.md §1.7 that the real fixtures do not exercise (drivers,
// MSI rules, MsiPatch, escaping, defaults). Shapes follow docs/protocol/update-xml.md §3.2; the expected strings are written
// out by hand from the rules, not produced by the code under test.
const msus = 'http://schemas.microsoft.com/msus/2002/12';

void test('driver: d. prefix, WindowsDriverMetaData emptied; m. prefix; MsiPatch keeps xmlns; xsi:type -> type', () => {
  const xml =
    `<upd:Update xmlns:upd="${msus}/Update" xmlns:drv="${msus}/UpdateHandlers/WindowsDriver" xmlns:mar="${msus}/MsiApplicabilityRules" xmlns:lar="${msus}/LogicalApplicabilityRules">` +
    '<upd:UpdateIdentity UpdateID="0BD4C7A7-6C36-4D79-B9A3-1C6E9F5B7E01" RevisionNumber="101" />' +
    '<upd:Properties UpdateType="Driver" PerUser="false" IsPublic="true" ExplicitlyDeployable="true" AutoSelectOnWebSites="false" EulaID="5f0e3f3a-0c5f-4c2e-9a43-0f6d2d6c0b11" DefaultPropertiesLanguage="en" OSUpgrade="Upgrade" MsrcSeverity="Critical" IsBeta="true" LegacyName="drv-1" DetectoidType="x" PublicationState="Published" CreationDate="2020-01-01T00:00:00Z" PublisherID="395392a0-19c0-48b7-a927-f7c15066d905" />' +
    '<upd:LocalizedPropertiesCollection><upd:LocalizedProperties><upd:Language>en</upd:Language><upd:Title>Driver</upd:Title></upd:LocalizedProperties></upd:LocalizedPropertiesCollection>' +
    '<upd:ApplicabilityRules><upd:IsInstalled><lar:False /></upd:IsInstalled><upd:IsInstallable><mar:MsiProductInstalled ProductCode="{X}" /></upd:IsInstallable>' +
    '<upd:Metadata><drv:WindowsDriverMetaData HardwareID="PCI\\VEN_1" WhqlDriverID="7" Manufacturer="M"><drv:CompatibleProvider /><drv:TargetComputerHardwareId>{a}</drv:TargetComputerHardwareId></drv:WindowsDriverMetaData>' +
    '<MsiPatch xmlns="http://www.microsoft.com/msi/patch_applicability.xsd" PatchCode="{P}"><TargetProduct MinMsiVersion="3"><TargetProductCode>{T}</TargetProductCode></TargetProduct></MsiPatch>' +
    '</upd:Metadata></upd:ApplicabilityRules>' +
    `<upd:HandlerSpecificData xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:drv2="${msus}/UpdateHandlers/WindowsDriver" xsi:type="drv2:WindowsDriver" />` +
    '</upd:Update>';
  const d = parseUpdateDocument(xml);
  assert.equal(d.updateType, 'Driver');
  assert.equal(d.eulaId, '5f0e3f3a-0c5f-4c2e-9a43-0f6d2d6c0b11');
  assert.equal(d.msrcSeverity, 'Critical');
  assert.equal(d.isBeta, true);
  assert.equal(
    deriveCoreFragment(d),
    '<UpdateIdentity UpdateID="0BD4C7A7-6C36-4D79-B9A3-1C6E9F5B7E01" RevisionNumber="101" />' +
      '<Properties UpdateType="Driver" ExplicitlyDeployable="true" EulaID="5f0e3f3a-0c5f-4c2e-9a43-0f6d2d6c0b11" OSUpgrade="Upgrade" />' +
      '<ApplicabilityRules><IsInstalled><False /></IsInstalled><IsInstallable><m.MsiProductInstalled ProductCode="{X}" /></IsInstallable>' +
      '<Metadata><d.WindowsDriverMetaData HardwareID="PCI\\VEN_1" WhqlDriverID="7" Manufacturer="M" />' +
      '<MsiPatch xmlns="http://www.microsoft.com/msi/patch_applicability.xsd" PatchCode="{P}"><TargetProduct MinMsiVersion="3"><TargetProductCode>{T}</TargetProductCode></TargetProduct></MsiPatch>' +
      '</Metadata></ApplicabilityRules>',
  );
  assert.equal(
    deriveExtendedFragment(d),
    '<ExtendedProperties DefaultPropertiesLanguage="en" MsrcSeverity="Critical" IsBeta="true" />' +
      '<HandlerSpecificData type="drv2:WindowsDriver" />',
  );
});

void test('Core drops default-valued attributes and writes the server order whatever the document order', () => {
  const d = parseUpdateDocument(
    `<upd:Update xmlns:upd="${msus}/Update"><upd:UpdateIdentity UpdateID="0bd4c7a7-6c36-4d79-b9a3-1c6e9f5b7e01" RevisionNumber="1" />` +
      '<upd:Properties OSUpgrade="x" EulaID="e" AutoSelectOnWebSites="TRUE" ExplicitlyDeployable="False" UpdateType="Detectoid" /></upd:Update>',
  );
  assert.equal(
    deriveCoreFragment(d),
    '<UpdateIdentity UpdateID="0bd4c7a7-6c36-4d79-b9a3-1c6e9f5b7e01" RevisionNumber="1" />' +
      '<Properties UpdateType="Detectoid" AutoSelectOnWebSites="TRUE" EulaID="e" OSUpgrade="x" />',
  );
  // Nothing left for Extended but an empty ExtendedProperties.
  assert.equal(deriveExtendedFragment(d), '<ExtendedProperties />');
  assert.equal(deriveLocalizedPropertiesFragment(d, 'en'), undefined);
  assert.equal(deriveFragments(d).localized.size, 0);
});

void test('text and attribute values with < & " are escaped in every fragment and read back unchanged', () => {
  const title = 'Fix <b> & "quotes" > all';
  const xml =
    `<upd:Update xmlns:upd="${msus}/Update" xmlns:bar="${msus}/BaseApplicabilityRules">` +
    '<upd:UpdateIdentity UpdateID="0bd4c7a7-6c36-4d79-b9a3-1c6e9f5b7e01" RevisionNumber="1" />' +
    '<upd:Properties UpdateType="Software"><upd:SupportUrl>https://x/?a=1&amp;b=2</upd:SupportUrl></upd:Properties>' +
    '<upd:LocalizedPropertiesCollection><upd:LocalizedProperties><upd:Language>EN</upd:Language>' +
    '<upd:Title>Fix &lt;b&gt; &amp; "quotes" &gt; all</upd:Title><upd:Description><![CDATA[a<b]]></upd:Description>' +
    '</upd:LocalizedProperties></upd:LocalizedPropertiesCollection>' +
    '<upd:ApplicabilityRules><upd:IsInstalled><bar:RegSz Key="HKEY_LOCAL_MACHINE" Subkey="A&amp;B\\&lt;C&gt;" Value="&quot;q&quot;" Data="x&#9;y" /></upd:IsInstalled></upd:ApplicabilityRules>' +
    '</upd:Update>';
  const d = parseUpdateDocument(xml);
  assert.equal(d.localizedProperties[0]?.title, title);
  assert.equal(d.supportUrl, 'https://x/?a=1&b=2');

  // Quotes stay raw in text, as WS2025 writes them (the SOAP captures show `"` unescaped in character data).
  const localized = deriveLocalizedPropertiesFragment(d, 'en');
  assert.equal(
    localized,
    '<LocalizedProperties><Language>EN</Language><Title>Fix &lt;b&gt; &amp; "quotes" &gt; all</Title><Description>a&lt;b</Description></LocalizedProperties>',
  );
  const core = deriveCoreFragment(d);
  assert.ok(
    core.includes('<b.RegSz Key="HKEY_LOCAL_MACHINE" Subkey="A&amp;B\\&lt;C&gt;" Value="&quot;q&quot;"'),
    core,
  );
  const extended = deriveExtendedFragment(d);
  assert.equal(
    extended,
    '<ExtendedProperties><SupportUrl>https://x/?a=1&amp;b=2</SupportUrl></ExtendedProperties>',
  );

  // Read back with the real XML reader (fragments are wrapped: Core has no single root).
  const back = parseXml(`<w>${core}${extended}${localized ?? ''}</w>`);
  const texts: string[] = [];
  const attrs: string[] = [];
  const walk = (n: typeof back): void => {
    for (const a of n.attributes) attrs.push(a.value);
    for (const c of n.children)
      if (c.kind === 'text') texts.push(c.text);
      else walk(c);
  };
  walk(back);
  assert.ok(texts.includes(title));
  assert.ok(texts.includes('a<b'));
  assert.ok(texts.includes('https://x/?a=1&b=2'));
  assert.ok(attrs.includes('A&B\\<C>'));
  assert.ok(attrs.includes('"q"'));
});

void test('the first LocalizedProperties of a language wins, in the record and in the fragment', () => {
  const d = parseUpdateDocument(
    `<upd:Update xmlns:upd="${msus}/Update"><upd:UpdateIdentity UpdateID="0bd4c7a7-6c36-4d79-b9a3-1c6e9f5b7e01" RevisionNumber="1" />` +
      '<upd:Properties UpdateType="Software" /><upd:LocalizedPropertiesCollection>' +
      '<upd:LocalizedProperties><upd:Language>de</upd:Language><upd:Title>Eins</upd:Title></upd:LocalizedProperties>' +
      '<upd:LocalizedProperties><upd:Language>DE</upd:Language><upd:Title>Zwei</upd:Title></upd:LocalizedProperties>' +
      '</upd:LocalizedPropertiesCollection></upd:Update>',
  );
  assert.deepEqual(
    d.localizedProperties.map((l) => l.title),
    ['Eins'],
  );
  assert.equal(
    deriveLocalizedPropertiesFragment(d, 'De'),
    '<LocalizedProperties><Language>de</Language><Title>Eins</Title></LocalizedProperties>',
  );
});
