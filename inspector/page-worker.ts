// A page worker of the inspector: the analysis worker (worker.ts) splits a large binary's code pages over a few of
// these (machlens' createWorkerPagePool); each hashes its jobs with its own Wasm core and answers. Nothing else.
import { servePageJobs } from 'machlens';

servePageJobs();
