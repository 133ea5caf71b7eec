'use strict';
// Which certificates a client trusts, the way Node's own https decides: an explicit `ca` option
// replaces the roots; otherwise Node's bundled roots plus the PEM file named by
// NODE_EXTRA_CA_CERTS, read once at startup (as Node does; a missing file is a warning, not an
// error). Without either, the native client uses the system's roots.

const fs = require('node:fs');
const tls = require('node:tls');

let extraCa;
const extraPath = process.env.NODE_EXTRA_CA_CERTS;
if (extraPath) {
  try {
    extraCa = fs.readFileSync(extraPath, 'utf8');
  } catch (err) {
    process.emitWarning(`iothub-twin: ignoring extra certs from \`${extraPath}\`: ${err.message}`);
  }
}

function pem(value) {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.map(pem).join('\n');
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

// Node's roots plus the extra file, joined once (~220 KB): every client then passes the same
// text, which the core maps to one shared TLS config.
let bundledPlusExtra;

/** The PEM to trust (undefined: the system's roots) for an explicit `ca` option or none. */
function trustedCa(ca) {
  const explicit = pem(ca);
  if (explicit !== undefined) return explicit;
  if (extraCa === undefined) return undefined;
  bundledPlusExtra ??= [...tls.rootCertificates, extraCa].join('\n');
  return bundledPlusExtra;
}

module.exports = { trustedCa, pem };
