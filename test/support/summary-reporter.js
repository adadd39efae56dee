// Ends every Jest run with one plain line, `tests: N passed, N failed, N skipped`, that CI systems read
// whatever test runner produced it. Written at exit, so that it comes after Jest's own summary.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const line = `tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests} skipped\n`;
    process.once('exit', () => process.stderr.write(line));
  }
}

module.exports = SummaryReporter;
