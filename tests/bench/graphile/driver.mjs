// oban-bench's driver for graphile-worker, the peer it is measured against. Prints one
// JSON object on stdout ({"ok": false, "error": ...} and exit 1 when it failed).
//
//   node driver.mjs drain   --modules DIR --host SOCKET_DIR --port 5432 --user U --database D
//                           --schema S --jobs N --processes P --concurrency C
//                           [--local-queue 500] [--batch-delay 0] [--pool C+1]
//   node driver.mjs latency (same connection and worker flags) --samples N [--warmup 20]
//
// drain: a fresh schema, N no-op jobs inserted with add_jobs, then P worker processes
// (worker_process.mjs) started together; the clock runs from "go" until the table holds
// no job (graphile-worker deletes a job once it completed). RSS is each process's VmHWM;
// wal_bytes is the WAL the server wrote while the clock ran.
// latency: one worker in this process; one job at a time is added with add_job on a
// separate connection and timed until the task starts (LISTEN/NOTIFY wakes the worker),
// the way oban-bench times oban-cpp.
import { fork } from "node:child_process";
import { EventEmitter } from "node:events";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { connectionString, kTask, loadModules, parseArgs, positive, quietLogger, required, workerPreset } from "./common.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const ident = (name) => `"${name.replaceAll('"', '""')}"`;

// Drops and re-creates graphile-worker's schema `schema` (its own migrations).
async function freshSchema(graphile, pool, args) {
  const schema = required(args, "schema");
  await pool.query(`drop schema if exists ${ident(schema)} cascade`);
  await graphile.runMigrations({ connectionString: connectionString(args), schema, logger: quietLogger(graphile) });
  return ident(schema);
}

// N jobs of the no-op task, payload {"n": i}, 10,000 per add_jobs call.
async function insertJobs(pool, schema, jobs) {
  const batch = 10000;
  for (let first = 1; first <= jobs; first += batch) {
    const last = Math.min(jobs, first + batch - 1);
    await pool.query(
      `select count(*) from ${schema}.add_jobs(array(
         select row($1::text, json_build_object('n', g), null, null, null, null, null, null)::${schema}.job_spec
         from generate_series($2::int, $3::int) as g))`,
      [kTask, first, last],
    );
  }
  // As oban-bench does before every drain: vacuumed, and a checkpoint, so that every drain
  // starts at the same point of the checkpoint cycle.
  await pool.query(`vacuum analyze ${schema}._private_jobs`);
  await pool.query("checkpoint");
}

// The WAL position, and the bytes written since one (the private server runs only the benchmark).
async function walPosition(pool) {
  return (await pool.query("select pg_current_wal_lsn()::text as lsn")).rows[0].lsn;
}

async function walBytesSince(pool, position) {
  const { rows } = await pool.query("select pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::float8 as bytes", [position]);
  return rows[0].bytes;
}

async function remainingJobs(pool, schema) {
  const { rows } = await pool.query(`select count(*)::int as n from ${schema}._private_jobs`);
  return rows[0].n;
}

// VmHWM (peak RSS) of a process in MB, from /proc.
function peakRssMb(pid) {
  const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match) throw new Error(`no VmHWM for process ${pid}`);
  return Number(match[1]) / 1024;
}

// A worker process and the last counts it reported.
function startWorker(argv) {
  const child = fork(path.join(here, "worker_process.mjs"), argv, { cwd: here, stdio: ["ignore", "ignore", "inherit", "ipc"] });
  const worker = { child, runs: 0, doubleRuns: 0, ready: null, stopped: null, error: null };
  const waiters = { ready: [], stopped: [] };
  worker.ready = new Promise((resolve) => waiters.ready.push(resolve));
  worker.stopped = new Promise((resolve) => waiters.stopped.push(resolve));
  child.on("message", (message) => {
    if (message.type === "error") worker.error = message.error;
    if (message.runs !== undefined) {
      worker.runs = message.runs;
      worker.doubleRuns = message.doubleRuns;
    }
    if (message.type === "ready") waiters.ready.forEach((resolve) => resolve());
    if (message.type === "stopped") waiters.stopped.forEach((resolve) => resolve());
  });
  child.on("exit", (code) => {
    if (code !== 0 && !worker.error) worker.error = `worker process exited with ${code}`;
    waiters.ready.forEach((resolve) => resolve());
    waiters.stopped.forEach((resolve) => resolve());
  });
  return worker;
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function drain(args) {
  const { graphile, pg, version } = loadModules(required(args, "modules"));
  const jobs = positive(args, "jobs");
  const processes = positive(args, "processes");
  const pool = new pg.Pool({ connectionString: connectionString(args), max: 2 });
  const workers = [];
  try {
    const schema = await freshSchema(graphile, pool, args);
    await insertJobs(pool, schema, jobs);
    const argv = process.argv.slice(3);
    for (let i = 0; i < processes; ++i) workers.push(startWorker(argv));
    await withTimeout(Promise.all(workers.map((w) => w.ready)), 30000, "starting the worker processes");
    const failed = () => workers.find((w) => w.error)?.error;
    if (failed()) throw new Error(failed());

    const walStart = await walPosition(pool);
    const start = performance.now();
    for (const w of workers) w.child.send("go");
    const deadline = start + 1000 * (60 + jobs / 500);
    let done = false;
    while (!done && performance.now() < deadline && !failed()) {
      // Count the table only once every job ran: a count of the whole table is not free.
      if (workers.reduce((sum, w) => sum + w.runs, 0) >= jobs) done = (await remainingJobs(pool, schema)) === 0;
      if (!done) await sleep(2);
    }
    const seconds = (performance.now() - start) / 1000;
    const walBytes = await walBytesSince(pool, walStart);
    const rss = workers.map((w) => peakRssMb(w.child.pid));
    for (const w of workers) w.child.send("stop");
    await withTimeout(Promise.all(workers.map((w) => w.stopped)), 30000, "stopping the worker processes");
    if (failed()) throw new Error(failed());
    const runs = workers.reduce((sum, w) => sum + w.runs, 0);
    const doubleRuns = workers.reduce((sum, w) => sum + w.doubleRuns, 0);
    const left = await remainingJobs(pool, schema);
    if (!done || runs !== jobs || doubleRuns !== 0 || left !== 0) {
      throw new Error(`drain incomplete: ${runs} runs of ${jobs} jobs, ${doubleRuns} double runs, ${left} jobs left`);
    }
    return {
      ok: true, mode: "drain", version, jobs, processes, concurrency: positive(args, "concurrency"),
      local_queue: positive(args, "local-queue", 500), batch_delay: positive(args, "batch-delay", 0),
      pool: positive(args, "pool", positive(args, "concurrency") + 1), seconds, jobs_per_s: jobs / seconds,
      runs, double_runs: doubleRuns, wal_bytes: walBytes, rss_mb: rss, rss_max_mb: Math.max(...rss),
      rss_total_mb: rss.reduce((a, b) => a + b, 0),
    };
  } finally {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill();
    await pool.end();
  }
}

// The same rank as oban-bench's percentile(): the ceil(p * n)-th smallest.
function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil(p * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

async function latency(args) {
  const { graphile, pg, version } = loadModules(required(args, "modules"));
  const samples = positive(args, "samples");
  const warmup = positive(args, "warmup", 20);
  const setupPool = new pg.Pool({ connectionString: connectionString(args), max: 1 });
  const client = new pg.Client({ connectionString: connectionString(args) });
  let runner = null;
  try {
    const schema = await freshSchema(graphile, setupPool, args);
    let started = null;  // { i, resolve } of the job being waited for
    const task = (payload) => {
      const at = performance.now();
      if (started && payload?.i === started.i) started.resolve(at);
    };
    const events = new EventEmitter();
    const listening = new Promise((resolve) => events.once("pool:listen:success", resolve));
    const preset = workerPreset(args);
    preset.worker.events = events;
    runner = await graphile.run({ preset, taskList: { [kTask]: task }, noHandleSignals: true, logger: quietLogger(graphile) });
    await withTimeout(listening, 10000, "LISTEN");
    await client.connect();
    const insertToStart = [];
    const insertCall = [];
    for (let i = 0; i < warmup + samples; ++i) {
      const startedAt = new Promise((resolve) => { started = { i, resolve }; });
      const before = performance.now();
      await client.query(`select ${schema}.add_job($1::text, json_build_object('i', $2::int))`, [kTask, i]);
      const after = performance.now();
      const at = await withTimeout(startedAt, 6000, `job ${i} to start`);
      if (i < warmup) continue;
      insertToStart.push(at - before);
      insertCall.push(after - before);
    }
    return {
      ok: true, mode: "latency", version, samples, warmup, concurrency: positive(args, "concurrency"),
      local_queue: positive(args, "local-queue", 500), p50_ms: percentile(insertToStart, 0.5),
      p99_ms: percentile(insertToStart, 0.99), insert_call_p50_ms: percentile(insertCall, 0.5),
    };
  } finally {
    if (runner) await runner.stop();
    await client.end().catch(() => {});
    await setupPool.end();
  }
}

const modes = { drain, latency };
try {
  const mode = modes[process.argv[2]];
  if (!mode) throw new Error(`usage: node driver.mjs drain|latency --name value ... (got ${process.argv[2]})`);
  const result = await mode(parseArgs(process.argv.slice(3)));
  process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (error) {
  process.stdout.write(`${JSON.stringify({ ok: false, error: String(error?.message ?? error) })}\n`);
  process.exitCode = 1;
}
