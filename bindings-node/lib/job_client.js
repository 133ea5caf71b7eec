'use strict';
// azure-iothub's `JobClient` (scheduled twin-update jobs) and the bulk calls of its `Registry`
// (`addDevices`, `updateDevices`, `removeDevices`), over the native FleetClient. Job calls
// resolve like the official SDK's: `{ jobStatus, response }`, callbacks `(err, jobStatus,
// response)`; the job query resolves `{ result, message }`.

const native = require('../index.js');
const { callbackOrPromise } = require('./callbacks');
const { facadeError } = require('./errors');

function withJobStatus(callback, work) {
  return callbackOrPromise(
    callback,
    work,
    (jobStatus) => [jobStatus, { statusCode: 200 }],
    (jobStatus) => ({ jobStatus, response: { statusCode: 200 } }),
  );
}

/** A Date as ISO-8601 text; anything else as given (the hub checks it). */
function isoTime(time) {
  return time instanceof Date ? time.toISOString() : time;
}

/** A job query as azure-iothub's `Query` over `GET /jobs/v2/query`. */
class JobQuery {
  constructor(fleet, jobType, jobStatus, pageSize) {
    Object.defineProperty(this, '_fleet', { value: fleet, enumerable: false });
    Object.assign(this, { _jobType: jobType, _jobStatus: jobStatus, _pageSize: pageSize });
    this.continuationToken = undefined;
    this.hasMoreResults = true;
  }

  /** The next page of jobs. */
  next(continuationToken, done) {
    if (typeof continuationToken === 'function') [continuationToken, done] = [undefined, continuationToken];
    const token = typeof continuationToken === 'string' ? continuationToken : this.continuationToken;
    return callbackOrPromise(
      done,
      async () => {
        const page = await this._fleet.queryJobs(this._jobType, this._jobStatus, this._pageSize, token);
        this.continuationToken = page.continuationToken || undefined;
        this.hasMoreResults = Boolean(page.continuationToken);
        return page.items;
      },
      (items) => [items, { statusCode: 200 }],
      (result) => ({ result, message: { statusCode: 200 } }),
    );
  }
}

/** Scheduled jobs, as azure-iothub's `JobClient`. */
class JobClient {
  constructor(fleet) {
    Object.defineProperty(this, '_fleet', { value: fleet, enumerable: false });
  }

  /** A job client for a service connection string (the options of `Registry.fromConnectionString`). */
  static fromConnectionString(connStr, options) {
    const { Registry } = require('./service');
    return JobClient._of(Registry.fromConnectionString(connStr, options));
  }

  /** A job client for hub `hostName` authenticated by an `@azure/identity`-style credential. */
  static fromTokenCredential(hostName, tokenCredential, options) {
    const { Registry } = require('./service');
    return JobClient._of(Registry.fromTokenCredential(hostName, tokenCredential, options));
  }

  static _of(registry) {
    return new JobClient(native.FleetClient.of(registry._native));
  }

  getJob(jobId, done) {
    return withJobStatus(done, () => this._fleet.getJob(jobId));
  }

  cancelJob(jobId, done) {
    return withJobStatus(done, () => this._fleet.cancelJob(jobId));
  }

  /**
   * Schedules `patch` (`{tags, properties: {desired}}`) for every device `queryCondition`
   * selects, at `jobStartTime` (a Date; omitted: now) for at most `maxExecutionTimeInSeconds`.
   */
  scheduleTwinUpdate(jobId, queryCondition, patch, jobStartTime, maxExecutionTimeInSeconds, done) {
    [jobStartTime, maxExecutionTimeInSeconds, done] = trailing(jobStartTime, maxExecutionTimeInSeconds, done);
    const request = {
      jobId, type: 'scheduleUpdateTwin', queryCondition, updateTwin: patch,
      startTime: isoTime(jobStartTime), maxExecutionTimeInSeconds,
    };
    return withJobStatus(done, () => this._fleet.createJob(request));
  }

  /** Schedules a direct method (sent as IoT Hub takes it; the emulator refuses these jobs). */
  scheduleDeviceMethod(jobId, queryCondition, methodParams, jobStartTime, maxExecutionTimeInSeconds, done) {
    [jobStartTime, maxExecutionTimeInSeconds, done] = trailing(jobStartTime, maxExecutionTimeInSeconds, done);
    const request = {
      jobId, type: 'scheduleDeviceMethod', queryCondition, cloudToDeviceMethod: methodParams,
      startTime: isoTime(jobStartTime), maxExecutionTimeInSeconds,
    };
    return withJobStatus(done, () => this._fleet.createJob(request));
  }

  /** Jobs of `jobType` and `jobStatus` (either may be omitted), `pageSize` per page. */
  createQuery(jobType, jobStatus, pageSize) {
    return new JobQuery(this._fleet, jobType || undefined, jobStatus || undefined, pageSize);
  }
}

/** The official SDK's optional trailing arguments: the first function among them is the callback. */
function trailing(jobStartTime, maxExecutionTimeInSeconds, done) {
  if (typeof jobStartTime === 'function') return [undefined, undefined, jobStartTime];
  if (typeof maxExecutionTimeInSeconds === 'function') return [jobStartTime, undefined, maxExecutionTimeInSeconds];
  return [jobStartTime, maxExecutionTimeInSeconds, done];
}

/**
 * A bulk registry call as azure-iothub's: the result `{ isSuccessful, errors, warnings }`, or,
 * when an item failed, the hub's 400 as an ArgumentError carrying the result as `responseBody`.
 */
function bulk(registry, done, call) {
  return callbackOrPromise(
    done,
    async () => {
      const result = await call(native.FleetClient.of(registry._native));
      if (result.isSuccessful) return result;
      const failed = result.errors.map((e) => `${e.deviceId}: ${e.errorCode}`).join(', ');
      const err = facadeError('ArgumentError', 'ERR_BAD_REQUEST', `bulk registry operation failed for ${failed}`);
      Object.assign(err, { statusCode: 400, responseBody: JSON.stringify(result), response: { statusCode: 400 } });
      throw err;
    },
    (result) => [result, { statusCode: 200 }],
    (result) => ({ responseBody: result, httpResponse: { statusCode: 200 } }),
  );
}

const registryBulk = {
  addDevices: (registry, devices, done) => bulk(registry, done, (fleet) => fleet.addDevices(devices)),
  updateDevices: (registry, devices, forceUpdate, done) =>
    bulk(registry, done, (fleet) => fleet.updateDevices(devices, Boolean(forceUpdate))),
  removeDevices: (registry, devices, forceRemove, done) =>
    bulk(registry, done, (fleet) => fleet.removeDevices(devices, Boolean(forceRemove))),
};

module.exports = { JobClient, JobQuery, registryBulk };
