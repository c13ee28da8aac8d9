// Shared by the graphile-worker driver and its worker processes: the command line, the
// installed package (loaded from the cache outside the repo), the connection string, and
// graphile-worker's preset for one configuration.
import { createRequire } from "node:module";
import path from "node:path";

// "--key value" pairs -> { key: value }; a flag without a value is an error.
export function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    if (!flag.startsWith("--") || i + 1 >= argv.length) throw new Error(`bad argument ${flag}: expected --name value`);
    out[flag.slice(2)] = argv[i + 1];
  }
  return out;
}

export function required(args, name) {
  if (args[name] === undefined) throw new Error(`missing --${name}`);
  return args[name];
}

export function positive(args, name, fallback) {
  const text = args[name] ?? (fallback === undefined ? required(args, name) : String(fallback));
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} needs a whole number, got ${text}`);
  return n;
}

// graphile-worker and pg from `--modules DIR` (DIR/node_modules holds them).
export function loadModules(dir) {
  const require = createRequire(path.join(path.resolve(dir), "package.json"));
  const graphile = require("graphile-worker");
  const installed = require("graphile-worker/package.json").version;
  return { graphile, pg: require("pg"), version: installed };
}

// The private server listens on a unix socket only: host is its directory.
export function connectionString(args) {
  const host = encodeURIComponent(required(args, "host"));
  const port = positive(args, "port", 5432);
  return `postgres://${required(args, "user")}@${host}:${port}/${required(args, "database")}`;
}

// A logger that keeps graphile-worker's errors (on stderr) and drops the rest: stdout
// carries only the driver's JSON.
export function quietLogger(graphile) {
  return new graphile.Logger(() => (level, message) => {
    if (level === "error") process.stderr.write(`graphile-worker: ${message}\n`);
  });
}

// The worker options of one configuration, as graphile-worker's docs name them
// (https://worker.graphile.org/docs/performance, "Batching").
export function workerPreset(args) {
  const concurrency = positive(args, "concurrency");
  return {
    worker: {
      connectionString: connectionString(args),
      schema: required(args, "schema"),
      concurrentJobs: concurrency,
      maxPoolSize: positive(args, "pool", concurrency + 1),
      localQueue: { size: positive(args, "local-queue", 500) },
      completeJobBatchDelay: positive(args, "batch-delay", 0),
      failJobBatchDelay: positive(args, "batch-delay", 0),
    },
  };
}

export const kTask = "bench_noop";
