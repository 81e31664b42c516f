// Scheduling: the job registry and scheduler (croner calendar + jitter), single-runner leases, stale-sync check.
export { withJobLease, type JobLeaseOptions, type LeaseStore } from './job-lease.js';
