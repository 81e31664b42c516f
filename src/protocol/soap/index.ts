export {
  soap11EnvelopeNs,
  soap12EnvelopeNs,
  soap11EncodingNs,
  soap12EncodingNs,
  xsiNs,
  xsdNs,
  wsusNamespaces,
  envelopeNamespace,
  type SoapVersion,
} from './namespaces.js';
export {
  parseSoapContentType,
  parseSoapActionHeader,
  soapContentType,
  type SoapContentType,
} from './content-type.js';
export {
  decodeSoapEnvelope,
  decodeSoapRequest,
  assertHeadersUnderstood,
  type SoapEnvelope,
  type SoapRequest,
  type SoapRequestInput,
  type XmlParse,
} from './envelope.js';
export { SoapOperationRegistry, type SoapOperation } from './dispatch.js';
export {
  encodeSoapResponse,
  wrapSoapEnvelope,
  envelopePrefix,
  type SoapEnvelopeStyle,
  type SoapEncodeOptions,
  type SoapHttpResponse,
} from './response.js';
export {
  faultFromError,
  encodeFaultElement,
  encodeSoapFault,
  decodeSoapFault,
  type SoapFault,
  type SoapFaultCode,
  type FaultContext,
  type DecodedSoapFault,
} from './fault.js';
export {
  parseInt32,
  parseGuid,
  parseBoolean,
  parseDateTime,
  base64Parser,
  fixedBase64Parser,
  stringParser,
  readArray,
  readInt32Array,
  readOptional,
  readRequired,
  type ItemParser,
  type ArrayReadOptions,
} from './values.js';
