/*
 * Which part of src/ may import which (ARCHITECTURE.md, "Dependencies point one way"), checked by
 * dependency-cruiser in test/architecture/dependencies.test.ts and by `npm run deps`.
 *
 * LAYERS runs from the top down: a module may import modules of its own layer and of layers
 * below it, never above. A module belongs to the first layer with a pattern that matches its
 * path, so the few files that sit apart from their folder (each domain's HTTP routes, the SAML
 * protocol core, the message transports) are named before their folder. Type-only imports count:
 * a type that points upwards is a dependency that points upwards.
 */
const LAYERS = [
  { name: 'composition root and command line', paths: ['^src/main\\.ts$', '^src/cli/'] },
  { name: 'HTTP assembly', paths: ['^src/http/server\\.ts$'] },
  {
    name: 'HTTP edges: each domain’s routes (parse, call the service, shape the reply) and API-key auth',
    paths: ['^src/[^/]+/(routes|[a-zA-Z]+Routes|signingPage)\\.ts$', '^src/http/apiKeyAuth\\.ts$'],
  },
  { name: 'webhooks: endpoints, messages from audit events, delivery', paths: ['^src/webhooks/'] },
  { name: 'support: SLA engine (tickets and status page to come)', paths: ['^src/support/'] },
  { name: 'ceremony: what a signer does by link', paths: ['^src/ceremony/'] },
  { name: 'envelopes: the sender’s use cases, sealing, expiry', paths: ['^src/envelopes/(?!aggregate/)'] },
  { name: 'identity: signer identity checks', paths: ['^src/identity/(?!saml/)'] },
  { name: 'notify: mail and text messages (outbox)', paths: ['^src/notify/(?!(mailer|smsTransport)\\.ts$)'] },
  { name: 'evidence: audit chain, certificate of completion', paths: ['^src/evidence/'] },
  { name: 'the envelope aggregate: rows, transitions, store, links', paths: ['^src/envelopes/aggregate/'] },
  { name: 'orgs: organisations, users, keys, staff sign-in', paths: ['^src/orgs/'] },
  { name: 'platform: what services receive', paths: ['^src/platform\\.ts$'] },
  { name: 'workers', paths: ['^src/workers/'] },
  { name: 'verify', paths: ['^src/verify/'] },
  { name: 'pdf', paths: ['^src/pdf/'] },
  { name: 'pki', paths: ['^src/pki/'] },
  { name: 'SAML protocol core', paths: ['^src/identity/saml/'] },
  { name: 'message transports', paths: ['^src/notify/(mailer|smsTransport)\\.ts$'] },
  {
    name: 'HTTP plumbing (input parsing, problems, contract, idempotency, rate limits, who)',
    paths: ['^src/http/'],
  },
  { name: 'jobs', paths: ['^src/jobs/'] },
  { name: 'blobs', paths: ['^src/blobs/'] },
  { name: 'db', paths: ['^src/db/'] },
  { name: 'config', paths: ['^src/config/'] },
  { name: 'outbound', paths: ['^src/outbound/'] },
  { name: 'errors', paths: ['^src/errors\\.ts$', '^src/errorCatalogue\\.ts$'] },
];

const above = (index) => LAYERS.slice(0, index).flatMap((layer) => layer.paths);

const layerRules = LAYERS.slice(1).map((layer, offset) => {
  const index = offset + 1;
  return {
    name: `layer: ${layer.name}`,
    comment: `may import only its own layer and those below it (.dependency-cruiser.cjs, LAYERS[${index}])`,
    severity: 'error',
    from: { path: layer.paths, pathNot: above(index) },
    to: { path: above(index) },
  };
});

module.exports = {

  forbidden: [
    {
      name: 'no-circular',
      comment: 'modules that import each other, however indirectly',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-unlayered',
      comment: 'every module of src/ belongs to a layer: add a new folder to LAYERS',
      severity: 'error',
      from: { path: '^src/', pathNot: LAYERS.flatMap((layer) => layer.paths) },
      to: {},
    },
    ...layerRules,
  ],
  options: {
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.test\\.ts$' },
  },
};
