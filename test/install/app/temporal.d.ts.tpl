// MikroORM 7's postgres-interval 4.1 declares `toTemporalDuration(): Temporal.Duration`, and
// TypeScript 5.9 has no Temporal lib yet; its docs ask the project for Temporal types. Without
// skipLibCheck, an app on MikroORM 7 needs this line (or @js-temporal/polyfill's types).
declare namespace Temporal {
  interface Duration {}
}
