// Runs @20minutes/s3rver on loopback in its own process, so tests can stop it mid-request
// and so it gets `--openssl-legacy-provider` (its list continuation tokens use DES).
// Prints one JSON line `{"port":N}` when ready.
import S3rver from '@20minutes/s3rver';

const [directory, port = '0'] = process.argv.slice(2);
const server = new S3rver({
  port: Number(port),
  address: '127.0.0.1',
  silent: true,
  directory,
  // Required with @20minutes/s3rver 4.x and current AWS SDK signing (see TOOLCHAIN.md).
  allowMismatchedSignatures: true,
});
const { port: actual } = await server.run();
process.stdout.write(JSON.stringify({ port: actual }) + '\n');
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
