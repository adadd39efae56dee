// Ends every Jest run with one plain line (on stderr, after Jest's own summary), `tests: N passed, N failed, N skipped`, that CI systems read
// whatever test runner produced it.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    process.stderr.write(`tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests} skipped\n`);
  }
}

module.exports = SummaryReporter;
