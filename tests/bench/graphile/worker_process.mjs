// One graphile-worker instance in its own process, started by driver.mjs over IPC:
// it loads the package and says "ready"; on "go" it runs the no-op task until "stop".
// It counts runs (and a job run twice, by its payload's n) and reports them every 10 ms,
// so the driver knows when to look at the table without counting it all the time.
import { kTask, loadModules, parseArgs, positive, quietLogger, workerPreset } from "./common.mjs";

const args = parseArgs(process.argv.slice(2));
const { graphile } = loadModules(args.modules);
const jobs = positive(args, "jobs");
const seen = new Uint8Array(jobs + 1);
let runs = 0;
let doubleRuns = 0;
let runner = null;

const noop = (payload) => {
  const n = payload?.n;
  if (Number.isInteger(n) && n >= 0 && n <= jobs && seen[n]++ > 0) ++doubleRuns;
  ++runs;
};

const report = (type) => process.send({ type, runs, doubleRuns });
const fail = (error) => {
  process.send({ type: "error", error: String(error?.stack ?? error) });
  process.exitCode = 1;
  process.disconnect();
};

process.on("message", async (message) => {
  try {
    if (message === "go") {
      runner = await graphile.run({
        preset: workerPreset(args),
        taskList: { [kTask]: noop },
        noHandleSignals: true,
        logger: quietLogger(graphile),
      });
      setInterval(() => report("progress"), 10).unref();
    } else if (message === "stop") {
      if (runner) await runner.stop();
      report("stopped");
      process.disconnect();
    }
  } catch (error) {
    fail(error);
  }
});
// The parent went away: nothing left to report to.
process.on("disconnect", () => process.exit());
report("ready");
