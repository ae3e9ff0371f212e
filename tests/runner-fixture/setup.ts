/** Throws when asked: a global setup that crashes (a server that would not start). */
export default function setup() {
  if (process.env.FIXTURE_SETUP_CRASH) throw new Error('the fixture server would not start');
}
