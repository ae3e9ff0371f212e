/** Throws when asked: a global setup that crashes (a database that would not start). */
export default function setup() {
  if (process.env.YUNZHEN_TEST_LIST_ONLY) return;
  if (process.env.FIXTURE_SETUP_CRASH) throw new Error('the fixture database would not start');
}
