/** Sample webhook deliveries per provider, signed like the real thing. Pure: no I/O, no cluster access. */
export { PROVIDERS, type Provider } from './provider-format.ts';
export { eventHeaderValue, eventsOf, parseProvider } from './formats.ts';
export { SAMPLE_DEFAULTS, type SampleOptions } from './sample.ts';
export {
  buildDelivery,
  deliveryIdOf,
  describeDelivery,
  headersToSend,
  proofRedactor,
  verifySignature,
  type Delivery,
  type DeliveryDescription,
  type DeliveryInput,
} from './delivery.ts';
export { hmacSignature, sameSecretly } from './signing.ts';
export {
  InvalidPayloadError,
  InvalidSampleError,
  InvalidSecretError,
  UnknownEventError,
  UnknownProviderError,
  type PayloadLocation,
} from './errors.ts';
