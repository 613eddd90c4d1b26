// Preloaded into every stage CLI a study spawns: when the process that spawned it is gone (a worker
// killed with SIGKILL), the stage dies too, as it would have inside the worker; its run resumes elsewhere
// from the last checkpoint instead of being written by an orphan.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.kill(process.pid, 'SIGKILL');
}, 250).unref();
