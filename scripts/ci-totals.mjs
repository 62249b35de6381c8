// Prints the totals of one or more vitest JSON reports as the last line of CI output:
// "N passed, M failed" (", K skipped" when any). A missing or unreadable report counts as a
// failure, so a run that crashed before reporting cannot look green. Exits 1 on any failure.
import { readFileSync } from 'node:fs'

let passed = 0
let failed = 0
let skipped = 0
for (const file of process.argv.slice(2)) {
  let report
  try {
    report = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    console.log(`${file}: no vitest report (${error.message})`)
    failed += 1
    continue
  }
  passed += report.numPassedTests ?? 0
  // A file that fails to load has no failed test of its own: count it; otherwise its failed tests count.
  failed += (report.numFailedTests ?? 0) || (report.numFailedTestSuites ?? 0)
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0)
  if ((report.numTotalTests ?? 0) === 0) {
    console.log(`${file}: ran no test`)
    failed += 1
  }
}
// Steps that exited non-zero (passed by .ci/run) although their reports count no failure, e.g.
// vitest's unhandled errors outside any test, or the demo: each counts as one failure.
const failedSteps = Number(process.env.CI_FAILED_STEPS ?? 0)
if (failed === 0 && failedSteps > 0) failed = failedSteps
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(failed > 0 ? 1 : 0)
