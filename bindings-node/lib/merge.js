'use strict';
// JSON merge patch (RFC 7386), as IoT Hub applies twin patches: objects merge, anything else
// (arrays included) replaces, null deletes. Written here rather than calling the core's
// `twin::apply_patch` because it must change, in place, the `properties.desired` / `.reported`
// objects users hold (as the official Twin does); the core would hand back a new object.

function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Applies `patch` to the object `target` in place; returns `target`. */
function mergePatch(target, patch) {
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete target[key];
    } else if (isObject(value)) {
      if (!isObject(target[key])) target[key] = {};
      mergePatch(target[key], value);
    } else {
      target[key] = clone(value);
    }
  }
  return target;
}

function clone(value) {
  return value !== null && typeof value === 'object' ? JSON.parse(JSON.stringify(value)) : value;
}

module.exports = { mergePatch, isObject };
