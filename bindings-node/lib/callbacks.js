'use strict';
// The official SDKs' calling convention: every asynchronous call takes a Node callback as its
// last argument, or returns a Promise when there is none.

const { fromNative } = require('./errors');

/**
 * Runs `work()` (a Promise-returning function); with `callback`, calls it as
 * `callback(err)` or `callback(null, ...toArgs(result))` outside the promise chain (so a
 * throwing callback is not swallowed) and returns undefined; otherwise returns the Promise of
 * `toPromise(result)`. Native errors become the official error classes either way.
 */
function callbackOrPromise(callback, work, toArgs = (r) => [r], toPromise = (r) => r) {
  let promise;
  try {
    promise = Promise.resolve(work()).catch((err) => { throw fromNative(err); });
  } catch (err) {
    promise = Promise.reject(fromNative(err));
  }
  if (typeof callback !== 'function') return promise.then(toPromise);
  promise.then(
    (result) => process.nextTick(callback, null, ...toArgs(result)),
    (err) => process.nextTick(callback, err),
  );
  return undefined;
}

module.exports = { callbackOrPromise };
